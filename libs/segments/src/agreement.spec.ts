import { adjustedRandIndex, contingency } from './agreement';

describe('adjustedRandIndex', () => {
  it('is 1 for identical partitions up to renaming', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2, 2], [5, 5, 3, 3, 9, 9])).toBeCloseTo(1, 12);
  });

  it('matches the value sklearn gives for a known pair', () => {
    // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    // sklearn.metrics.adjusted_rand_score([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 2, 2]) == 0.2424242424242424
    expect(adjustedRandIndex([0, 0, 0, 1, 1, 1], [0, 1, 0, 1, 2, 2])).toBeCloseTo(0.24242424242424243, 12);
  });

  it('is negative for a worse-than-chance pairing', () => {
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
  });

  it('skips items without a label', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, -1], [1, 1, 0, 0, 3])).toBeCloseTo(1, 12);
  });
});

describe('contingency', () => {
  it('counts co-occurrences', () => {
    const t = contingency([0, 0, 1, 1, 1], [2, 3, 3, 3, 2]);
    expect(t.rowsLabels).toEqual([0, 1]);
    expect(t.colsLabels).toEqual([2, 3]);
    expect(t.counts).toEqual([
      [1, 1],
      [1, 2],
    ]);
    expect(t.n).toBe(5);
  });
});
