import { InvalidInputError, Matrix, assertFinite, takeRows } from '../core/matrix';
import { sampleIndices } from '../core/random';
import { denseLabels } from '../selection/ari';

function checkLabels(x: Matrix, labels: ArrayLike<number>): { dense: Int32Array; k: number } {
  if (labels.length !== x.rows) throw new InvalidInputError(`silhouette: ${labels.length} labels for ${x.rows} rows`);
  const { labels: dense, count } = denseLabels(labels);
  if (count < 2 || count > x.rows - 1) {
    throw new InvalidInputError(`silhouette needs 2 <= number of clusters <= n - 1 (got ${count} clusters for ${x.rows} rows)`);
  }
  return { dense, k: count };
}

/**
 * Per-point silhouette coefficients, exact and euclidean. Each pair is visited once and its distance added to both
 * points' per-cluster sums, so the extra memory is n x k sums (linear in n) and the work n²/2 distances.
 * Points in singleton clusters get 0 (scikit-learn convention).
 */
export function silhouetteSamples(x: Matrix, labels: ArrayLike<number>): Float64Array {
  assertFinite(x, 'silhouette input');
  const { dense, k } = checkLabels(x, labels);
  const { rows: n, cols: d, data } = x;
  const sums = new Float64Array(n * k);
  const d4 = d - (d % 4);
  const sizes = new Float64Array(k);
  for (let i = 0; i < n; i++) sizes[dense[i]!]++;
  for (let i = 0; i < n; i++) {
    const io = i * d;
    const li = dense[i]!;
    const si = i * k;
    for (let j = i + 1; j < n; j++) {
      const jo = j * d;
      // four independent accumulators: ~1.8x faster in V8 than one running sum
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t = 0;
      for (; t < d4; t += 4) {
        const v0 = data[io + t]! - data[jo + t]!;
        const v1 = data[io + t + 1]! - data[jo + t + 1]!;
        const v2 = data[io + t + 2]! - data[jo + t + 2]!;
        const v3 = data[io + t + 3]! - data[jo + t + 3]!;
        s0 += v0 * v0;
        s1 += v1 * v1;
        s2 += v2 * v2;
        s3 += v3 * v3;
      }
      for (; t < d; t++) {
        const v = data[io + t]! - data[jo + t]!;
        s0 += v * v;
      }
      const dist = Math.sqrt(s0 + s1 + s2 + s3);
      sums[si + dense[j]!] += dist;
      sums[j * k + li] += dist;
    }
  }
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const li = dense[i]!;
    if (sizes[li]! <= 1) continue;
    const a = sums[i * k + li]! / (sizes[li]! - 1);
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== li) b = Math.min(b, sums[i * k + c]! / sizes[c]!);
    const m = Math.max(a, b);
    out[i] = m > 0 ? (b - a) / m : 0;
  }
  return out;
}

export interface SilhouetteOptions {
  /** When set and smaller than n, the silhouette of a seeded random subsample of this size (as sklearn's sample_size). */
  sampleSize?: number;
  seed?: number;
}

/** Mean silhouette coefficient; exact, or over a seeded subsample for large n. */
export function silhouetteScore(x: Matrix, labels: ArrayLike<number>, options: SilhouetteOptions = {}): number {
  const { sampleSize, seed = 0 } = options;
  if (sampleSize !== undefined && sampleSize < x.rows) {
    return silhouetteSampled(x, labels, sampleSize, seed);
  }
  const s = silhouetteSamples(x, labels);
  let t = 0;
  for (const v of s) t += v;
  return t / s.length;
}

/**
 * Silhouette of a seeded random subsample (without replacement) of `sampleSize` rows, computed within the subsample.
 * Throws when the subsample contains fewer than two clusters.
 */
export function silhouetteSampled(x: Matrix, labels: ArrayLike<number>, sampleSize: number, seed = 0): number {
  if (labels.length !== x.rows) throw new InvalidInputError(`silhouette: ${labels.length} labels for ${x.rows} rows`);
  if (!Number.isInteger(sampleSize) || sampleSize < 3) throw new InvalidInputError(`silhouette sampleSize must be an integer >= 3, got ${sampleSize}`);
  // a uniform sample, sorted to keep memory access in order
  const chosen = sampleIndices(x.rows, sampleSize, seed);
  const sub = takeRows(x, chosen);
  const subLabels = new Int32Array(sampleSize);
  for (let i = 0; i < sampleSize; i++) subLabels[i] = labels[chosen[i]!]!;
  return silhouetteScore(sub, subLabels);
}
