/** Agreement between two labelings of the same items: contingency table, adjusted Rand index, normalized mutual information. */

export interface Crosstab<A extends string | number = string | number, B extends string | number = string | number> {
  rows: A[];
  cols: B[];
  /** counts[i][j] = items with label rows[i] in the first labeling and cols[j] in the second. */
  counts: number[][];
  n: number;
}

export function crosstab<A extends string | number, B extends string | number>(a: readonly A[], b: readonly B[]): Crosstab<A, B> {
  if (a.length !== b.length) throw new Error(`crosstab: labelings differ in length (${a.length} vs ${b.length})`);
  const cmp = (x: string | number, y: string | number) =>
    typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
  const rows = [...new Set(a)].sort(cmp);
  const cols = [...new Set(b)].sort(cmp);
  const ri = new Map(rows.map((r, i) => [r, i]));
  const ci = new Map(cols.map((c, i) => [c, i]));
  const counts = rows.map(() => cols.map(() => 0));
  for (let k = 0; k < a.length; k++) counts[ri.get(a[k]!)!]![ci.get(b[k]!)!]!++;
  return { rows, cols, counts, n: a.length };
}

const choose2 = (x: number) => (x * (x - 1)) / 2;

/** Adjusted Rand index (Hubert & Arabie): 1 for identical partitions, ~0 for independent ones. */
export function adjustedRandIndex(table: Pick<Crosstab, 'counts' | 'n'>): number {
  const { counts, n } = table;
  if (n < 2) return 1;
  let sumIJ = 0;
  const rowSums = counts.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = counts[0] ? counts[0].map((_, j) => counts.reduce((s, r) => s + r[j]!, 0)) : [];
  for (const r of counts) for (const v of r) sumIJ += choose2(v);
  const sumA = rowSums.reduce((s, v) => s + choose2(v), 0);
  const sumB = colSums.reduce((s, v) => s + choose2(v), 0);
  const expected = (sumA * sumB) / choose2(n);
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1; // both partitions trivial (all in one cluster, or all singletons)
  return (sumIJ - expected) / (max - expected);
}

/** Normalized mutual information, arithmetic-mean normalisation (scikit-learn's default): MI / ((H(A) + H(B)) / 2). */
export function normalizedMutualInformation(table: Pick<Crosstab, 'counts' | 'n'>): number {
  const { counts, n } = table;
  if (n === 0) return 1;
  const rowSums = counts.map((r) => r.reduce((s, v) => s + v, 0));
  const colSums = counts[0] ? counts[0].map((_, j) => counts.reduce((s, r) => s + r[j]!, 0)) : [];
  const entropy = (xs: number[]) => -xs.reduce((s, v) => (v > 0 ? s + (v / n) * Math.log(v / n) : s), 0);
  const hA = entropy(rowSums);
  const hB = entropy(colSums);
  let mi = 0;
  counts.forEach((r, i) =>
    r.forEach((v, j) => {
      if (v > 0) mi += (v / n) * Math.log((v * n) / (rowSums[i]! * colSums[j]!));
    }),
  );
  const denom = (hA + hB) / 2;
  if (denom === 0) return 1;
  return Math.max(0, mi / denom);
}
