/**
 * Model selection over a k range: one model per k (Gaussian mixture, or k-means), scored by silhouette and BIC, the
 * best kept. One implementation for the public `selectK` and the segmentation pipeline: every k is a self-contained
 * task (`evaluateK`) that the calling thread and worker threads take from one queue, with seeds fixed up front, so
 * the result does not depend on the number of threads.
 */
import { InvalidInputError, Matrix, assertFinite, takeRows } from '../core/matrix';
import { sampleIndices } from '../core/random';
import { CovarianceType, GaussianMixture, GaussianMixtureJson } from '../gmm/gaussian-mixture';
import { KMeansResult, kmeans, kmeansPredict } from '../kmeans/kmeans';
import type { KCurvePoint } from '../pipeline/segmentation.model';
import { silhouetteScore } from '../silhouette/silhouette';
import { MlWorkerPool, shareWork } from '../worker/ml-pool';
import { shareFloat64 } from '../worker/ts-worker';

/** Rows up to which the chosen model's silhouette is computed exactly. */
export const FINAL_SILHOUETTE_EXACT = 10_000;

export type SelectKModel = { method: 'gmm'; model: GaussianMixture } | { method: 'kmeans'; model: KMeansResult };

/** Everything needed to score one run of one k (self-contained so that a worker can do it). */
export interface KTask {
  readonly embedding: Matrix;
  readonly method: 'gmm' | 'kmeans';
  readonly k: number;
  readonly seed: number;
  readonly covariance: CovarianceType;
  readonly maxIter: number;
  /** Convergence tolerance and covariance regularisation (the model's defaults when undefined). */
  readonly tol?: number;
  readonly regCovar?: number;
  /** Sampled silhouette of this many rows when the data has more; exact otherwise. */
  readonly silhouetteSampleSize: number;
  readonly silhouetteSeed: number;
}

export interface KResult {
  readonly point: KCurvePoint;
  readonly model: SelectKModel | null;
  /** Milliseconds fitting vs in the silhouette. */
  readonly gmmMs: number;
  readonly silhouetteMs: number;
}

/** How good a run is among runs of the same k: the EM lower bound, or minus the k-means inertia. */
function runScore(m: SelectKModel): number {
  return m.method === 'gmm' ? m.model.lowerBound : -m.model.inertia;
}

function predict(m: SelectKModel, x: Matrix): Int32Array {
  return m.method === 'gmm' ? m.model.predict(x) : kmeansPredict(m.model, x);
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

/** Fits one run of one k and scores it (a k that cannot be fitted gets NaN scores and no model). */
export function evaluateK(t: KTask): KResult {
  const n = t.embedding.rows;
  const empty = (ms: number): KResult => ({ point: { k: t.k, silhouette: NaN, bic: NaN, nonEmpty: 0, ms }, model: null, gmmMs: ms, silhouetteMs: 0 });
  if (t.k > n) return empty(0);
  const t0 = performance.now();
  let model: SelectKModel;
  let labels: Int32Array;
  let bic: number;
  try {
    if (t.method === 'kmeans') {
      const km = kmeans(t.embedding, { k: t.k, nInit: 1, maxIter: t.maxIter, tol: t.tol, seed: t.seed });
      model = { method: 'kmeans', model: km };
      labels = km.labels;
      bic = kmeansBic(t.embedding, km);
    } else {
      const gmm = GaussianMixture.fit(t.embedding, { k: t.k, covariance: t.covariance, nInit: 1, maxIter: t.maxIter, tol: t.tol, regCovar: t.regCovar, seed: t.seed });
      model = { method: 'gmm', model: gmm };
      labels = gmm.predict(t.embedding);
      bic = gmm.bic(t.embedding);
    }
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return empty(performance.now() - t0);
  }
  const t1 = performance.now();
  const seen = new Uint8Array(t.k);
  for (const l of labels) seen[l] = 1;
  const nonEmpty = seen.reduce((a, b) => a + b, 0);
  let silhouette = NaN;
  if (nonEmpty >= 2 && nonEmpty < n) {
    silhouette = silhouetteScore(t.embedding, labels, n > t.silhouetteSampleSize ? { sampleSize: t.silhouetteSampleSize, seed: t.silhouetteSeed } : {});
  }
  const t2 = performance.now();
  return { point: { k: t.k, silhouette, bic, nonEmpty, ms: t2 - t0 }, model, gmmMs: t1 - t0, silhouetteMs: t2 - t1 };
}

/** A KResult as a worker posts it (the mixture as JSON; a k-means result is plain data). */
export interface KResultMessage {
  readonly point: KCurvePoint;
  readonly model: { method: 'gmm'; model: GaussianMixtureJson } | { method: 'kmeans'; model: KMeansResult } | null;
  readonly gmmMs: number;
  readonly silhouetteMs: number;
}

export function toKResultMessage(r: KResult): KResultMessage {
  const model = r.model === null ? null : r.model.method === 'gmm' ? { method: 'gmm' as const, model: r.model.model.toJSON() } : r.model;
  return { point: r.point, model, gmmMs: r.gmmMs, silhouetteMs: r.silhouetteMs };
}

function fromKResultMessage(m: KResultMessage): KResult {
  const model: SelectKModel | null = m.model === null ? null : m.model.method === 'gmm' ? { method: 'gmm', model: GaussianMixture.fromJSON(m.model.model) } : m.model;
  return { point: m.point, model, gmmMs: m.gmmMs, silhouetteMs: m.silhouetteMs };
}

/** Whether candidate c beats the best so far under the selection rule (ties keep the smaller k). */
function better(by: 'silhouette' | 'bic', c: KCurvePoint, b: KCurvePoint | null): boolean {
  if (Number.isNaN(c.silhouette) && Number.isNaN(c.bic)) return false;
  if (!b) return true;
  if (by === 'bic') return c.bic < b.bic;
  if (Number.isNaN(c.silhouette)) return false;
  return Number.isNaN(b.silhouette) || c.silhouette > b.silhouette;
}

export interface KRangeOptions {
  readonly kMin: number;
  readonly kMax: number;
  readonly method: 'gmm' | 'kmeans';
  readonly covariance: CovarianceType;
  /** Runs (initialisations) per k for the `refineTop` best k of a first pass with one run per k. */
  readonly nInit: number;
  readonly refineTop: number;
  readonly maxIter: number;
  readonly tol?: number;
  readonly regCovar?: number;
  /** Above this many rows the models are fitted (and the curve scored) on a seeded sample of this size. */
  readonly selectionSampleSize: number;
  /** Silhouettes of the curve over a seeded sample of this many rows when there are more. */
  readonly silhouetteSampleSize: number;
  readonly selectBy: 'silhouette' | 'bic';
}

export interface KRangeSeeds {
  /** Seed of the first run of each k (kMin first). */
  readonly perK: readonly number[];
  readonly silhouette: number;
  readonly selection: number;
}

export interface Selection {
  readonly curve: KCurvePoint[];
  readonly k: number;
  readonly model: SelectKModel;
  /** Labels of every row of the input. */
  readonly labels: Int32Array;
  /** Silhouette of those labels: exact up to FINAL_SILHOUETTE_EXACT rows, else over a seeded sample of that size. */
  readonly silhouette: number;
  readonly bic: number;
  readonly gmmMs: number;
  readonly silhouetteMs: number;
}

/**
 * Fits every k of the range once, then `nInit - 1` more runs for the `refineTop` best of them (the calling thread and
 * the pool's workers pulling from one queue, largest k first), keeps each k's best run and the best k. Run r of k has
 * a seed derived from seeds.perK and r only, so the result does not depend on the number of threads.
 */
export async function selectKRange(
  data: Matrix,
  o: KRangeOptions,
  seeds: KRangeSeeds,
  pool: MlWorkerPool | null,
  onPoint: (p: KCurvePoint) => void = () => undefined,
): Promise<Selection> {
  const n = data.rows;
  const embedding = n > o.selectionSampleSize ? takeRows(data, sampleIndices(n, o.selectionSampleSize, seeds.selection)) : data;
  const ks: number[] = [];
  for (let k = o.kMin; k <= o.kMax; k++) ks.push(k);
  type Item = { k: number; restart: number };
  /** Restart `restart` (0 = pass 1) of k: one run, its own seed. */
  const task = (item: Item): KTask => ({
    embedding,
    method: o.method,
    k: item.k,
    seed: item.restart === 0 ? seeds.perK[item.k - o.kMin]! : (Math.imul(seeds.perK[item.k - o.kMin]! ^ 0x5bd1e995, item.restart + 1) >>> 1) & 0x7fffffff,
    covariance: o.covariance,
    maxIter: o.maxIter,
    ...(o.tol !== undefined ? { tol: o.tol } : {}),
    ...(o.regCovar !== undefined ? { regCovar: o.regCovar } : {}),
    silhouetteSampleSize: o.silhouetteSampleSize,
    silhouetteSeed: seeds.silhouette,
  });
  const shared = pool ? { ...embedding, data: shareFloat64(embedding.data) } : embedding;
  const run = (items: readonly Item[]): Promise<KResult[]> =>
    shareWork<Item, KResult>(
      items,
      (item) => {
        const r = evaluateK(task(item));
        onPoint(r.point);
        return r;
      },
      pool
        ? async (item) => {
            const r = fromKResultMessage(await pool.run<KResultMessage>({ kind: 'k-run', ...task(item), embedding: shared }));
            onPoint(r.point);
            return r;
          }
        : null,
      pool,
    );
  // pass 1: one run per k (expensive ones first balances the threads)
  const results = await run([...ks].reverse().map((k) => ({ k, restart: 0 })));
  const byK = new Map(results.map((r) => [r.point.k, r]));
  // pass 2: the other nInit - 1 runs (each its own task, so threads share them) go where they matter, to the best
  // few k of pass 1; the best run of a k (EM lower bound, or inertia) is kept
  if (o.nInit > 1 && o.refineTop > 0) {
    const ranked = [...results].filter((r) => r.model).sort((x, y) => (better(o.selectBy, x.point, y.point) ? -1 : better(o.selectBy, y.point, x.point) ? 1 : x.point.k - y.point.k));
    const items = ranked.slice(0, o.refineTop).flatMap((r) => Array.from({ length: o.nInit - 1 }, (_, i) => ({ k: r.point.k, restart: i + 1 })));
    const refined = await run(items);
    for (const r of refined) {
      const before = byK.get(r.point.k)!;
      const keep = r.model && runScore(r.model) > runScore(before.model!) ? r : before;
      byK.set(r.point.k, { ...keep, gmmMs: r.gmmMs + before.gmmMs, silhouetteMs: r.silhouetteMs + before.silhouetteMs, point: { ...keep.point, ms: r.point.ms + before.point.ms } });
    }
  }
  const curve = ks.map((k) => byK.get(k)!.point);
  let best: KResult | null = null;
  for (const k of ks) {
    const r = byK.get(k)!;
    if (r.model && better(o.selectBy, r.point, best?.point ?? null)) best = r;
  }
  if (!best?.model) throw new InvalidInputError(`model selection: no model could be fitted for k in ${o.kMin}..${o.kMax} on ${embedding.rows} rows`);
  // with a selection sample the curve's silhouettes are the sample's; the final one is measured on everyone's labels
  const labels = predict(best.model, data);
  let silhouette = best.point.silhouette;
  let extraSilhouetteMs = 0;
  if (embedding !== data || n > o.silhouetteSampleSize) {
    const t = performance.now();
    const seen = new Set(labels);
    silhouette = seen.size >= 2 && seen.size < n ? silhouetteScore(data, labels, n > FINAL_SILHOUETTE_EXACT ? { sampleSize: FINAL_SILHOUETTE_EXACT, seed: seeds.silhouette } : {}) : NaN;
    extraSilhouetteMs = performance.now() - t;
  }
  return {
    curve,
    k: best.point.k,
    model: best.model,
    labels,
    silhouette,
    bic: best.point.bic,
    gmmMs: [...byK.values()].reduce((a, r) => a + r.gmmMs, 0),
    silhouetteMs: [...byK.values()].reduce((a, r) => a + r.silhouetteMs, 0) + extraSilhouetteMs,
  };
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

export interface SelectKOptions {
  kMin: number;
  kMax: number;
  /** Default 'gmm'. */
  method?: 'gmm' | 'kmeans';
  /** GMM covariance, default 'full'. */
  covariance?: CovarianceType;
  /** Runs per k, the best kept (GMM default 1, k-means default 4). */
  nInit?: number;
  seed?: number;
  /** Silhouettes of the curve over a seeded subsample of this size when n is larger (the same subsample for every k). */
  silhouetteSample?: number;
  /** Fit (and score the curve) on a seeded subsample of this many rows, then label every row with the chosen model. */
  fitSample?: number;
  maxIter?: number;
  tol?: number;
  regCovar?: number;
  /** Called after each run of a k (progress). */
  onK?: (point: SelectKPoint) => void;
}

export interface SelectKPoint {
  k: number;
  /** Mean silhouette of the labelling; NaN when the model used fewer than two clusters. */
  silhouette: number;
  /** BIC of the model (see kmeansBic for k-means). Lower is better. */
  bic: number;
  /** Clusters actually used by the labels (can be < k for a mixture). */
  clustersUsed: number;
  /** Fit + silhouette time for this k, milliseconds. */
  ms: number;
}

export interface SelectKResult {
  best: { k: number; labels: Int32Array; model: SelectKModel; silhouette: number; bic: number };
  curve: SelectKPoint[];
  /** Number of distinct rows in the data; kMax is clamped to it. */
  distinctPoints: number;
  /** The k range actually searched after clamping. */
  kRange: [number, number];
}

const toPoint = (p: KCurvePoint): SelectKPoint => ({ k: p.k, silhouette: p.silhouette, bic: p.bic, clustersUsed: p.nonEmpty, ms: p.ms });

/**
 * Fits a model for every k in [kMin, kMax] (`nInit` runs each, seeded) and keeps the one with the highest silhouette
 * (ties go to the lower k). kMax is clamped to the number of distinct rows (a model cannot place more distinct centres
 * than there are distinct points); if even kMin exceeds it an InvalidInputError is thrown. kMin must be >= 2 because
 * the silhouette is undefined for one cluster. With a pool, the calling thread and the workers share the runs (same
 * result).
 */
export async function selectK(x: Matrix, options: SelectKOptions, pool: MlWorkerPool | null = null): Promise<SelectKResult> {
  assertFinite(x, 'selectK input');
  const { kMin, method = 'gmm', covariance = 'full', seed = 0, silhouetteSample, fitSample, maxIter, tol, regCovar } = options;
  if (!Number.isInteger(kMin) || !Number.isInteger(options.kMax) || kMin < 2 || options.kMax < kMin) {
    throw new InvalidInputError(`selectK: need integers 2 <= kMin <= kMax (got kMin=${kMin}, kMax=${options.kMax})`);
  }
  if (method !== 'gmm' && method !== 'kmeans') throw new InvalidInputError(`selectK: unknown method '${String(method)}'`);
  if (fitSample !== undefined && (!Number.isInteger(fitSample) || fitSample < 2)) throw new InvalidInputError(`selectK: fitSample must be an integer >= 2, got ${fitSample}`);
  const distinct = countDistinctRows(fitSample !== undefined && fitSample < x.rows ? takeRows(x, sampleIndices(x.rows, fitSample, seed ^ 0x5bd1e995)) : x);
  if (kMin > distinct) throw new InvalidInputError(`selectK: kMin=${kMin} exceeds the number of distinct points (${distinct})`);
  const kMax = Math.min(options.kMax, distinct);
  const nInit = options.nInit ?? (method === 'kmeans' ? 4 : 1);
  const r = await selectKRange(
    x,
    {
      kMin,
      kMax,
      method,
      covariance,
      nInit,
      refineTop: kMax - kMin + 1,
      maxIter: maxIter ?? (method === 'kmeans' ? 300 : 100),
      tol,
      regCovar,
      selectionSampleSize: fitSample ?? Infinity,
      silhouetteSampleSize: silhouetteSample ?? Infinity,
      selectBy: 'silhouette',
    },
    { perK: Array.from({ length: kMax - kMin + 1 }, (_, i) => (seed + 1000003 * (kMin + i)) | 0), silhouette: seed, selection: seed ^ 0x5bd1e995 },
    pool,
    (p) => options.onK?.(toPoint(p)),
  );
  if (Number.isNaN(r.silhouette) && r.curve.every((p) => Number.isNaN(p.silhouette))) throw new InvalidInputError('selectK: no k in the range produced at least two clusters');
  return { best: { k: r.k, labels: r.labels, model: r.model, silhouette: r.silhouette, bic: r.bic }, curve: r.curve.map(toPoint), distinctPoints: distinct, kRange: [kMin, kMax] };
}
