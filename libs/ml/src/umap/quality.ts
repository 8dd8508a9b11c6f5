import { InvalidInputError, Matrix, assertFinite } from '../core/matrix';
import { sampleIndices } from '../core/random';

export interface QualityOptions {
  /** Neighbourhood size. Default 15. */
  k?: number;
  /** Evaluate a seeded random subset of this many points (against all points) instead of every point. */
  sampleSize?: number;
  seed?: number;
}

export interface EmbeddingQuality {
  /**
   * Trustworthiness (Venna & Kaski; sklearn.manifold.trustworthiness): 1 - 2/(n k (2n - 3k - 1)) Σ_i Σ_{j ∈ U_k(i)}
   * (r(i, j) - k), where U_k(i) are the embedding neighbours of i that are not among its k original neighbours and
   * r(i, j) is j's rank by original distance. 1 = no false neighbours.
   */
  trustworthiness: number;
  /** Mean fraction of each point's k original neighbours that are also among its k embedding neighbours. */
  knnPreservation: number;
  k: number;
  /** Points evaluated. */
  evaluated: number;
}

function distancesFrom(m: Matrix, i: number, out: Float64Array): void {
  const { rows: n, cols: d, data } = m;
  const io = i * d;
  for (let j = 0; j < n; j++) {
    const jo = j * d;
    let s = 0;
    for (let t = 0; t < d; t++) {
      const v = data[io + t]! - data[jo + t]!;
      s += v * v;
    }
    out[j] = s;
  }
}

/** Indices of the k smallest dist (excluding self), ties by lower index, into out (ascending). */
function topK(dist: Float64Array, self: number, k: number, out: Int32Array): void {
  let size = 0;
  for (let j = 0; j < dist.length; j++) {
    if (j === self) continue;
    const dj = dist[j]!;
    if (size === k && dj >= dist[out[k - 1]!]!) continue;
    let p = size < k ? size++ : k - 1;
    while (p > 0 && dist[out[p - 1]!]! > dj) {
      out[p] = out[p - 1]!;
      p--;
    }
    out[p] = j;
  }
}

/** Trustworthiness and kNN preservation of embedding y for data x (euclidean in both), exact or on a sample. */
export function embeddingQuality(x: Matrix, y: Matrix, options: QualityOptions = {}): EmbeddingQuality {
  assertFinite(x, 'quality: data');
  if (y.rows !== x.rows) throw new InvalidInputError(`quality: data has ${x.rows} rows, embedding ${y.rows}`);
  return embeddingQualityFrom(x.rows, (i, out) => distancesFrom(x, i, out), y, options);
}

/**
 * Trustworthiness and kNN preservation of embedding y (euclidean) against any original geometry of its n rows:
 * `originalFrom(i, out)` fills out[j] with the original distance from row i to every row j (e.g. leaf-space
 * distances of a random-forest embedding, see LeafIndex.distancesFrom). Exact or on a sample of rows.
 */
export function embeddingQualityFrom(n: number, originalFrom: (i: number, out: Float64Array) => void, y: Matrix, options: QualityOptions = {}): EmbeddingQuality {
  const { k = 15, sampleSize, seed = 0 } = options;
  assertFinite(y, 'quality: embedding');
  if (y.rows !== n) throw new InvalidInputError(`quality: data has ${n} rows, embedding ${y.rows}`);
  if (!Number.isInteger(k) || k < 1 || k >= n / 2) throw new InvalidInputError(`quality: k must be an integer in [1, n/2), got ${k} for n=${n}`);
  let points: Int32Array;
  if (sampleSize !== undefined && sampleSize < n) {
    points = sampleIndices(n, sampleSize, seed);
  } else {
    points = new Int32Array(n).map((_, i) => i);
  }
  const dx = new Float64Array(n);
  const dy = new Float64Array(n);
  const nx = new Int32Array(k);
  const ny = new Int32Array(k);
  const inX = new Uint8Array(n);
  let penalty = 0;
  let shared = 0;
  for (const i of points) {
    originalFrom(i, dx);
    distancesFrom(y, i, dy);
    topK(dx, i, k, nx);
    topK(dy, i, k, ny);
    for (let a = 0; a < k; a++) inX[nx[a]!] = 1;
    for (let a = 0; a < k; a++) {
      const j = ny[a]!;
      if (inX[j]) {
        shared++;
        continue;
      }
      // rank of j among i's original neighbours (1-based, ties by index)
      const dj = dx[j]!;
      let rank = 1;
      for (let l = 0; l < n; l++) {
        if (l === i || l === j) continue;
        const dl = dx[l]!;
        if (dl < dj || (dl === dj && l < j)) rank++;
      }
      penalty += rank - k;
    }
    for (let a = 0; a < k; a++) inX[nx[a]!] = 0;
  }
  const m = points.length;
  return {
    trustworthiness: 1 - (2 / (m * k * (2 * n - 3 * k - 1))) * penalty,
    knnPreservation: shared / (m * k),
    k,
    evaluated: m,
  };
}

/** Trustworthiness only (see EmbeddingQuality). */
export function trustworthiness(x: Matrix, y: Matrix, options: QualityOptions = {}): number {
  return embeddingQuality(x, y, options).trustworthiness;
}

/** kNN preservation only (see EmbeddingQuality). */
export function knnPreservation(x: Matrix, y: Matrix, options: QualityOptions = {}): number {
  return embeddingQuality(x, y, options).knnPreservation;
}
