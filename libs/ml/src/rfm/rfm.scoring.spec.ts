import { quintileScores, rfmSegment, scoreRfm } from './rfm.scoring';

describe('RFM scoring', () => {
  it('scores quintiles by rank, ties together', () => {
    expect(Array.from(quintileScores([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], true))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    expect(Array.from(quintileScores([10, 9, 8, 7, 6, 5, 4, 3, 2, 1], false))).toEqual([1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
    const tied = quintileScores([1, 1, 1, 1, 1, 1, 2, 3, 4, 5], true);
    expect(new Set(Array.from(tied.subarray(0, 6))).size).toBe(1);
    expect(tied[9]).toBe(5);
  });

  it('names classic segments', () => {
    expect(rfmSegment(5, 5, 5)).toBe('Champions');
    expect(rfmSegment(1, 1, 1)).toBe('Hibernating');
    expect(rfmSegment(1, 5, 5)).toBe('Cannot lose them');
    expect(rfmSegment(2, 3, 4)).toBe('At risk'); // fm = round(3.5) = 4
    expect(rfmSegment(5, 1, 1)).toBe('New customers');
    expect(rfmSegment(4, 4, 5)).toBe('Loyal');
  });

  it('scores customers deterministically', () => {
    const input = {
      recencyDays: [1, 300, 20, 5, 150],
      frequency: [30, 1, 5, 12, 2],
      monetary: [9000, 40, 800, 3000, 100],
    };
    const a = scoreRfm(input);
    expect(Array.from(a.code)).toEqual([555, 111, 333, 444, 222]);
    expect(a.segment).toEqual(['Champions', 'Hibernating', 'Need attention', 'Loyal', 'Hibernating']);
    expect(scoreRfm(input)).toEqual(a);
    expect(() => scoreRfm({ ...input, monetary: [1, 2, NaN, 4, 5] })).toThrow(/monetary has a non-finite value \(NaN\) at row 2/);
  });
});
