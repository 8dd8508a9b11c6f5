import { InvalidInputError } from '../core/matrix';

/** Maps arbitrary integer labels to 0..m-1 in order of first appearance. */
export function denseLabels(labels: ArrayLike<number>): { labels: Int32Array; count: number } {
  const map = new Map<number, number>();
  const out = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    let v = map.get(l);
    if (v === undefined) {
      v = map.size;
      map.set(l, v);
    }
    out[i] = v;
  }
  return { labels: out, count: map.size };
}

const comb2 = (x: number): number => (x * (x - 1)) / 2;

/**
 * Adjusted Rand index (Hubert & Arabie) between two labellings of the same items: 1 for identical partitions (up to
 * renaming), ~0 for independent ones. Matches sklearn.metrics.adjusted_rand_score, including 1.0 for the degenerate
 * case where both labellings are a single cluster or all singletons.
 */
export function adjustedRandIndex(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new InvalidInputError(`ARI: label arrays differ in length (${a.length} vs ${b.length})`);
  const n = a.length;
  if (n === 0) return 1;
  const da = denseLabels(a);
  const db = denseLabels(b);
  const table = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const key = da.labels[i]! * db.count + db.labels[i]!;
    table.set(key, (table.get(key) ?? 0) + 1);
  }
  const rowSums = new Float64Array(da.count);
  const colSums = new Float64Array(db.count);
  let sumComb = 0;
  for (const [key, c] of table) {
    sumComb += comb2(c);
    rowSums[Math.floor(key / db.count)] += c;
    colSums[key % db.count] += c;
  }
  let sumA = 0;
  let sumB = 0;
  for (const r of rowSums) sumA += comb2(r);
  for (const c of colSums) sumB += comb2(c);
  const total = comb2(n);
  const expected = (sumA * sumB) / total;
  const max = (sumA + sumB) / 2;
  if (max === expected) return 1;
  return (sumComb - expected) / (max - expected);
}
