import { assignmentCost, hungarian } from './hungarian';

/** Brute force over all injective assignments of rows to columns (small matrices only). */
function bruteForceMin(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0]!.length;
  const k = Math.min(rows, cols);
  let best = Infinity;
  const usedCols = new Set<number>();
  const rec = (i: number, assigned: number, total: number): void => {
    if (assigned === k || i === rows) {
      if (assigned === k) best = Math.min(best, total);
      return;
    }
    // rows > cols: a row may stay unassigned
    if (rows - i - 1 >= k - assigned) rec(i + 1, assigned, total);
    for (let j = 0; j < cols; j++) {
      if (usedCols.has(j)) continue;
      usedCols.add(j);
      rec(i + 1, assigned + 1, total + cost[i]![j]!);
      usedCols.delete(j);
    }
  };
  rec(0, 0, 0);
  return best;
}

describe('hungarian', () => {
  it('solves the textbook 3x3 case', () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    const a = hungarian(cost);
    expect(a).toEqual([1, 0, 2]);
    expect(assignmentCost(cost, a)).toBe(5);
  });

  it('solves a 4x4 case with a unique optimum', () => {
    const cost = [
      [82, 83, 69, 92],
      [77, 37, 49, 92],
      [11, 69, 5, 86],
      [8, 9, 98, 23],
    ];
    const a = hungarian(cost);
    expect(a).toEqual([2, 1, 0, 3]);
    expect(assignmentCost(cost, a)).toBe(140);
  });

  it('handles more columns than rows', () => {
    const cost = [
      [10, 1, 10, 10],
      [10, 10, 10, 2],
    ];
    expect(hungarian(cost)).toEqual([1, 3]);
  });

  it('handles more rows than columns, leaving the costliest rows unassigned', () => {
    const cost = [
      [5, 9],
      [1, 9],
      [9, 9],
      [9, 0],
    ];
    const a = hungarian(cost);
    expect(a).toEqual([-1, 0, -1, 1]);
  });

  it('matches brute force on random matrices of mixed shapes', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let t = 0; t < 60; t++) {
      const rows = 1 + Math.floor(rnd() * 6);
      const cols = 1 + Math.floor(rnd() * 6);
      const cost = Array.from({ length: rows }, () => Array.from({ length: cols }, () => Math.round(rnd() * 100)));
      const a = hungarian(cost);
      const assigned = a.filter((j) => j >= 0);
      expect(new Set(assigned).size).toBe(assigned.length);
      expect(assigned.length).toBe(Math.min(rows, cols));
      expect(assignmentCost(cost, a)).toBeCloseTo(bruteForceMin(cost), 9);
    }
  });

  it('rejects ragged and non-finite input', () => {
    expect(() => hungarian([[1, 2], [3]])).toThrow('row 1 has 1 costs');
    expect(() => hungarian([[1, Infinity]])).toThrow('non-finite');
  });

  it('returns an empty assignment for an empty matrix', () => {
    expect(hungarian([])).toEqual([]);
  });
});
