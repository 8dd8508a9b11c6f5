import { parseSegmentChangeEvent } from '@insiders/events';
import { buildSegmentChangeEvents, diffMemberships, type Membership } from './changes';

const m = (segmentId: number, isInsider = false, modelVersion = 1): Membership => ({ segmentId, isInsider, modelVersion });

describe('diffMemberships', () => {
  const previous = new Map([
    ['a', m(1)],
    ['b', m(2)],
    ['c', m(3, true)],
    ['d', m(4)],
  ]);

  it('reports exactly the customers whose segment or Insider flag changed (refit: complete state)', () => {
    const next = new Map([
      ['a', m(1, false, 2)], // same segment, new model: no change
      ['b', m(5, false, 2)], // moved
      ['c', m(3, false, 2)], // left the Insiders, same segment
      ['e', m(1, false, 2)], // new customer
    ]);
    const changes = diffMemberships(previous, next, { complete: true });
    expect(changes.map((c) => [c.customerId, c.from?.segmentId ?? null, c.to?.segmentId ?? null])).toEqual([
      ['b', 2, 5],
      ['c', 3, 3],
      ['d', 4, null],
      ['e', null, 1],
    ]);
  });

  it('leaves absent customers untouched for incremental updates', () => {
    const changes = diffMemberships(previous, new Map([['b', m(2)]]), { complete: false });
    expect(changes).toEqual([]);
  });
});

describe('buildSegmentChangeEvents', () => {
  const segments = new Map([
    [1, { name: 'Elite Spenders', insiders: true }],
    [2, { name: 'Engaged', insiders: false }],
  ]);
  const ctx = { modelVersion: 2, reason: 'refit' as const, at: '2017-12-07T00:00:00.000Z', emittedAt: '2026-01-01T00:00:00.000Z', segments };

  it('builds entered / exited / moved events with Insider transitions and deterministic ids', () => {
    const events = buildSegmentChangeEvents(
      [
        { customerId: 'x', from: null, to: m(1, true, 2) },
        { customerId: 'y', from: m(1, true, 1), to: null },
        { customerId: 'z', from: m(2, false, 1), to: m(1, true, 2) },
      ],
      ctx,
    );
    expect(events.map((e) => [e.customerId, e.type, e.insider, e.from?.name ?? null, e.to?.name ?? null, e.previousModelVersion])).toEqual([
      ['x', 'entered', 'entered', null, 'Elite Spenders', null],
      ['y', 'exited', 'exited', 'Elite Spenders', null, 1],
      ['z', 'moved', 'entered', 'Engaged', 'Elite Spenders', 1],
    ]);
    expect(events[2]!.eventId).toBe('refit:2:z:2017-12-07T00:00:00.000Z');
    for (const e of events) expect(parseSegmentChangeEvent(JSON.parse(JSON.stringify(e)))).toEqual(e);
  });

  it('the schema validator names the bad field', () => {
    const [e] = buildSegmentChangeEvents([{ customerId: 'x', from: null, to: m(2) }], ctx);
    expect(() => parseSegmentChangeEvent({ ...e, type: 'teleported' })).toThrow('type');
    expect(() => parseSegmentChangeEvent({ ...e, from: { id: 1, name: 'a', insiders: false } })).toThrow('from (must be null for entered)');
  });
});
