import { adjustedRandIndex, crosstab, normalizedMutualInformation } from './agreement';

describe('agreement', () => {
  it('builds a crosstab with sorted labels', () => {
    const t = crosstab(['b', 'a', 'a', 'c'], [2, 1, 2, 2]);
    expect(t.rows).toEqual(['a', 'b', 'c']);
    expect(t.cols).toEqual([1, 2]);
    expect(t.counts).toEqual([
      [1, 1],
      [0, 1],
      [0, 1],
    ]);
    expect(t.n).toBe(4);
  });

  it('matches the worked ARI / NMI example (scikit-learn docs: [0,0,0,1,1,1] vs [0,0,1,1,2,2])', () => {
    const t = crosstab([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]);
    expect(adjustedRandIndex(t)).toBeCloseTo(0.24242424242424246, 12);
    // MI = (2/3) ln 2; H(A) = ln 2; H(B) = ln 3
    expect(normalizedMutualInformation(t)).toBeCloseTo(((2 / 3) * Math.LN2) / ((Math.LN2 + Math.log(3)) / 2), 12);
  });

  it('is 1 for the same partition under renamed labels and ~0 for independent ones', () => {
    const a = [0, 0, 1, 1, 2, 2];
    const b = ['x', 'x', 'z', 'z', 'y', 'y'];
    expect(adjustedRandIndex(crosstab(a, b))).toBeCloseTo(1, 12);
    expect(normalizedMutualInformation(crosstab(a, b))).toBeCloseTo(1, 12);
    // a perfectly crossed design: every (row, col) cell has the same count -> MI = 0, ARI < 0.1
    const r: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < 4; i++) for (let j = 0; j < 4; j++) for (let k = 0; k < 5; k++) {
          r.push(i);
          c.push(j);
        }
    expect(normalizedMutualInformation(crosstab(r, c))).toBeCloseTo(0, 12);
    expect(Math.abs(adjustedRandIndex(crosstab(r, c)))).toBeLessThan(0.1);
  });
});
