import { InvalidInputError, Matrix, assertFinite, takeRows } from '../core/matrix';
import { Random } from '../core/random';
import { CovarianceType, GaussianMixture } from '../gmm/gaussian-mixture';
import { KMeansResult, kmeans } from '../kmeans/kmeans';
import { silhouetteScore } from '../silhouette/silhouette';
import { denseLabels } from './ari';

export interface SelectKOptions {
  kMin: number;
  kMax: number;
  /** Default 'gmm'. */
  method?: 'gmm' | 'kmeans';
  /** GMM covariance, default 'full'. */
  covariance?: CovarianceType;
  /** Restarts per k (GMM default 1, k-means default 4). */
  nInit?: number;
  seed?: number;
  /** Silhouette on a seeded subsample of this size when n is larger (the same subsample for every k). */
  silhouetteSample?: number;
  /** Fit each model on a seeded subsample of this many rows, then label every row with the fitted model. */
  fitSample?: number;
  maxIter?: number;
  tol?: number;
  regCovar?: number;
  /** Called after each k is evaluated (progress). */
  onK?: (point: SelectKPoint) => void;
}

export interface SelectKPoint {
  k: number;
  /** Mean silhouette of the labelling; NaN when the model used fewer than two clusters. */
  silhouette: number;
  /** BIC of the model (see selectK). Lower is better. */
  bic: number;
  /** Clusters actually used by the labels (can be < k for a mixture). */
  clustersUsed: number;
  /** Fit + silhouette time for this k, milliseconds. */
  ms: number;
}

export type SelectKModel = { method: 'gmm'; model: GaussianMixture } | { method: 'kmeans'; model: KMeansResult };

export interface SelectKResult {
  best: { k: number; labels: Int32Array; model: SelectKModel; silhouette: number; bic: number };
  curve: SelectKPoint[];
  /** Number of distinct rows in the data; kMax is clamped to it. */
  distinctPoints: number;
  /** The k range actually searched after clamping. */
  kRange: [number, number];
}

/** Number of distinct rows (exact comparison), by sorting row indices lexicographically. */
export function countDistinctRows(x: Matrix): number {
  const { rows: n, cols: d, data } = x;
  if (n === 0) return 0;
  const idx = Array.from({ length: n }, (_, i) => i);
  const cmp = (a: number, b: number): number => {
    for (let j = 0; j < d; j++) {
      const v = data[a * d + j]! - data[b * d + j]!;
      if (v !== 0) return v;
    }
    return 0;
  };
  idx.sort(cmp);
  let distinct = 1;
  for (let i = 1; i < n; i++) if (cmp(idx[i - 1]!, idx[i]!) !== 0) distinct++;
  return distinct;
}

/**
 * BIC of a k-means partition read as a mixture of spherical Gaussians with one shared variance
 * σ² = inertia / (n d) and hard assignments: -2 LL + p ln n with p = (k - 1) + k d + 1.
 */
export function kmeansBic(x: Matrix, result: KMeansResult): number {
  const n = x.rows;
  const d = x.cols;
  const sizes = new Float64Array(result.k);
  for (const l of result.labels) sizes[l]++;
  const variance = Math.max(result.inertia / (n * d), 1e-300);
  let ll = -((n * d) / 2) * (Math.log(2 * Math.PI * variance) + 1);
  for (const s of sizes) if (s > 0) ll += s * Math.log(s / n);
  const p = result.k - 1 + result.k * d + 1;
  return -2 * ll + p * Math.log(n);
}

/**
 * Fits a model for every k in [kMin, kMax] and keeps the one with the highest silhouette (ties, within 1e-9, go to
 * the lower BIC, then to the lower k). kMax is clamped to the number of distinct rows (a model cannot place more
 * distinct centres than there are distinct points); if even kMin exceeds it an InvalidInputError is thrown. kMin must
 * be >= 2 because the silhouette is undefined for one cluster. With fitSample, models are fitted (and their BIC
 * computed) on a seeded subsample and every row is labelled by the fitted model.
 */
export function selectK(x: Matrix, options: SelectKOptions): SelectKResult {
  assertFinite(x, 'selectK input');
  const { kMin, method = 'gmm', covariance = 'full', seed = 0, silhouetteSample, fitSample, maxIter, tol, regCovar } = options;
  if (!Number.isInteger(kMin) || !Number.isInteger(options.kMax) || kMin < 2 || options.kMax < kMin) {
    throw new InvalidInputError(`selectK: need integers 2 <= kMin <= kMax (got kMin=${kMin}, kMax=${options.kMax})`);
  }
  if (method !== 'gmm' && method !== 'kmeans') throw new InvalidInputError(`selectK: unknown method '${String(method)}'`);
  let fitX = x;
  if (fitSample !== undefined && fitSample < x.rows) {
    if (!Number.isInteger(fitSample) || fitSample < 2) throw new InvalidInputError(`selectK: fitSample must be an integer >= 2, got ${fitSample}`);
    const rng = new Random(seed ^ 0x5bd1e995);
    const idx = new Int32Array(x.rows).map((_, i) => i);
    for (let i = 0; i < fitSample; i++) {
      const j = i + rng.int(x.rows - i);
      const t = idx[i]!;
      idx[i] = idx[j]!;
      idx[j] = t;
    }
    fitX = takeRows(x, idx.slice(0, fitSample).sort());
  }
  const distinct = countDistinctRows(fitX);
  if (kMin > distinct) {
    throw new InvalidInputError(`selectK: kMin=${kMin} exceeds the number of distinct points (${distinct})`);
  }
  const kMax = Math.min(options.kMax, distinct);
  const curve: SelectKPoint[] = [];
  let best: SelectKResult['best'] | null = null;
  for (let k = kMin; k <= kMax; k++) {
    const t0 = performance.now();
    const modelSeed = seed + 1000003 * k;
    let model: SelectKModel;
    let labels: Int32Array;
    let bic: number;
    if (method === 'gmm') {
      const gm = GaussianMixture.fit(fitX, { k, covariance, nInit: options.nInit ?? 1, seed: modelSeed, maxIter, tol, regCovar });
      model = { method, model: gm };
      labels = gm.predict(x);
      bic = gm.bic(fitX);
    } else {
      const km = kmeans(fitX, { k, nInit: options.nInit ?? 4, seed: modelSeed, maxIter, tol });
      model = { method, model: km };
      labels = fitX === x ? km.labels : nearestCentroid(x, km);
      bic = kmeansBic(fitX, km);
    }
    const used = denseLabels(labels).count;
    const silhouette = used >= 2 && used < x.rows ? silhouetteScore(x, labels, { sampleSize: silhouetteSample, seed }) : NaN;
    const point: SelectKPoint = { k, silhouette, bic, clustersUsed: used, ms: performance.now() - t0 };
    curve.push(point);
    options.onK?.(point);
    if (Number.isNaN(silhouette)) continue;
    if (!best || silhouette > best.silhouette + 1e-9 || (Math.abs(silhouette - best.silhouette) <= 1e-9 && bic < best.bic)) {
      best = { k, labels, model, silhouette, bic };
    }
  }
  if (!best) throw new InvalidInputError('selectK: no k in the range produced at least two clusters');
  return { best, curve, distinctPoints: distinct, kRange: [kMin, kMax] };
}

function nearestCentroid(x: Matrix, km: KMeansResult): Int32Array {
  const { rows: n, cols: d, data } = x;
  const c = km.centroids.data;
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let bd = Infinity;
    for (let j = 0; j < km.k; j++) {
      let s = 0;
      for (let t = 0; t < d; t++) s += (data[i * d + t]! - c[j * d + t]!) ** 2;
      if (s < bd) {
        bd = s;
        labels[i] = j;
      }
    }
  }
  return labels;
}
