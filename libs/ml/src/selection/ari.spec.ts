import { adjustedRandIndex } from './ari';

describe('adjustedRandIndex', () => {
  it('is 1 for identical partitions up to renaming', () => {
    expect(adjustedRandIndex([0, 0, 1, 1, 2], [5, 5, 3, 3, 9])).toBe(1);
  });

  it('matches sklearn on known examples', () => {
    // sklearn.metrics.adjusted_rand_score([0, 0, 1, 1], [0, 0, 1, 2]) == 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 0, 1, 2])).toBeCloseTo(0.5714285714285715, 12);
    // adjusted_rand_score([0, 0, 1, 2], [0, 0, 1, 1]) == 0.5714285714285715
    expect(adjustedRandIndex([0, 0, 1, 2], [0, 0, 1, 1])).toBeCloseTo(0.5714285714285715, 12);
    // adjusted_rand_score([0, 0, 1, 1], [0, 1, 0, 1]) == -0.5
    expect(adjustedRandIndex([0, 0, 1, 1], [0, 1, 0, 1])).toBeCloseTo(-0.5, 12);
    // degenerate: both a single cluster
    expect(adjustedRandIndex([1, 1, 1], [0, 0, 0])).toBe(1);
  });

  it('rejects different lengths', () => {
    expect(() => adjustedRandIndex([0], [0, 1])).toThrow(/differ in length/);
  });
});
