/**
 * Agreement between two labelings of the same items: the contingency table and the adjusted Rand index
 * (Hubert & Arabie 1985). Labels are arbitrary integers; negative labels mean "no label" and are skipped pairwise.
 */
export interface Contingency {
  /** Distinct labels of `a` in ascending order (rows). */
  rowsLabels: number[];
  /** Distinct labels of `b` in ascending order (columns). */
  colsLabels: number[];
  /** counts[r][c] = items with a = rowsLabels[r] and b = colsLabels[c]. */
  counts: number[][];
  /** Items counted (both labels present). */
  n: number;
}

export function contingency(a: ArrayLike<number>, b: ArrayLike<number>): Contingency {
  if (a.length !== b.length) throw new Error(`contingency: label arrays differ in length (${a.length} vs ${b.length})`);
  const rowsLabels = new Set<number>();
  const colsLabels = new Set<number>();
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < 0 || b[i]! < 0) continue;
    rowsLabels.add(a[i]!);
    colsLabels.add(b[i]!);
  }
  const rl = [...rowsLabels].sort((x, y) => x - y);
  const cl = [...colsLabels].sort((x, y) => x - y);
  const ri = new Map(rl.map((l, i) => [l, i]));
  const ci = new Map(cl.map((l, i) => [l, i]));
  const counts = rl.map(() => new Array<number>(cl.length).fill(0));
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i]! < 0 || b[i]! < 0) continue;
    counts[ri.get(a[i]!)!]![ci.get(b[i]!)!]!++;
    n++;
  }
  return { rowsLabels: rl, colsLabels: cl, counts, n };
}

const pairs = (x: number): number => (x * (x - 1)) / 2;

/** Adjusted Rand index in [-1, 1]: 1 for identical partitions (up to renaming), ~0 for independent ones. */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const t = contingency(a, b);
  if (t.n < 2) return 1;
  let sumCells = 0;
  const rowSums = new Array<number>(t.rowsLabels.length).fill(0);
  const colSums = new Array<number>(t.colsLabels.length).fill(0);
  t.counts.forEach((r, i) =>
    r.forEach((c, j) => {
      sumCells += pairs(c);
      rowSums[i]! += c;
      colSums[j]! += c;
    }),
  );
  const sumRows = rowSums.reduce((s, x) => s + pairs(x), 0);
  const sumCols = colSums.reduce((s, x) => s + pairs(x), 0);
  const expected = (sumRows * sumCols) / pairs(t.n);
  const max = (sumRows + sumCols) / 2;
  if (max === expected) return 1; // both partitions trivial (all one cluster or all singletons)
  return (sumCells - expected) / (max - expected);
}
