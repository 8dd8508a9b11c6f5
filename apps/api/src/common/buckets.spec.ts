import { bucketStart, bucketStarts, secondsFor } from './buckets';

const ms = (iso: string) => Date.parse(iso);

describe('buckets', () => {
  it('enumerates calendar buckets covering the range', () => {
    expect(bucketStarts(ms('2011-01-15T10:00:00Z'), ms('2011-04-01T00:00:00Z'), { unit: 'month' }).map((t) => new Date(t).toISOString())).toEqual([
      '2011-01-01T00:00:00.000Z',
      '2011-02-01T00:00:00.000Z',
      '2011-03-01T00:00:00.000Z',
    ]);
    expect(bucketStarts(ms('2011-01-01T12:00:00Z'), ms('2011-01-03T01:00:00Z'), { unit: 'day' })).toHaveLength(3);
  });

  it('starts weeks on Monday (as ClickHouse toMonday)', () => {
    // 2011-01-05 is a Wednesday; its Monday is 2011-01-03.
    expect(new Date(bucketStart(ms('2011-01-05T13:00:00Z'), { unit: 'week' })).toISOString()).toBe('2011-01-03T00:00:00.000Z');
  });

  it('aligns second buckets to the epoch like toStartOfInterval', () => {
    expect(bucketStart(ms('2011-01-01T00:07:00Z'), { unit: 'seconds', seconds: 300 })).toBe(ms('2011-01-01T00:05:00Z'));
  });

  it('sizes Grafana buckets to the point budget with a nice step', () => {
    const year = 365 * 86_400_000;
    expect(secondsFor(0, year, 60_000, 1_000)).toBe(43_200); // 8.76 h -> 12 h
    expect(secondsFor(0, 3_600_000, 30_000, 1_000)).toBe(30);
    expect(secondsFor(0, 3_600_000, undefined, 10)).toBe(600);
  });
});
