/** Model selection over a k range: one Gaussian mixture per k, scored by silhouette and BIC in the embedding. */
import { InvalidInputError, Matrix, takeRows } from '../core/matrix';
import { Random } from '../core/random';
import { GaussianMixture } from '../gmm/gaussian-mixture';
import { silhouetteScore } from '../silhouette/silhouette';
import { MlWorkerPool, shareWork } from '../worker/ml-pool';
import { shareFloat64 } from '../worker/ts-worker';
import { KCurvePoint } from './segmentation.model';
import { ResolvedSegmentationOptions } from './segmentation.options';

/** Rows up to which the chosen segmentation's silhouette is computed exactly. */
export const FINAL_SILHOUETTE_EXACT = 10_000;

/** Everything needed to score one k (self-contained so that a worker can do it). */
export interface KTask {
  readonly embedding: Matrix;
  readonly k: number;
  readonly seed: number;
  readonly covariance: 'full' | 'diag';
  readonly nInit: number;
  readonly maxIter: number;
  /** Sampled silhouette of this many rows when the embedding has more; exact otherwise. */
  readonly silhouetteSampleSize: number;
  readonly silhouetteSeed: number;
}

export interface KResult {
  readonly point: KCurvePoint;
  readonly gmm: GaussianMixture | null;
  /** Milliseconds in EM vs in the silhouette. */
  readonly gmmMs: number;
  readonly silhouetteMs: number;
}

export function evaluateK(t: KTask): KResult & { labels: Int32Array | null } {
  const n = t.embedding.rows;
  const empty = (ms: number): KResult & { labels: null } => ({ point: { k: t.k, silhouette: NaN, bic: NaN, nonEmpty: 0, ms }, gmm: null, labels: null, gmmMs: ms, silhouetteMs: 0 });
  if (t.k > n) return empty(0);
  const t0 = performance.now();
  let gmm: GaussianMixture;
  try {
    gmm = GaussianMixture.fit(t.embedding, { k: t.k, covariance: t.covariance, nInit: t.nInit, maxIter: t.maxIter, seed: t.seed });
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    return empty(performance.now() - t0);
  }
  const labels = gmm.predict(t.embedding);
  const bic = gmm.bic(t.embedding);
  const t1 = performance.now();
  const seen = new Uint8Array(t.k);
  for (const l of labels) seen[l] = 1;
  const nonEmpty = seen.reduce((a, b) => a + b, 0);
  let silhouette = NaN;
  if (nonEmpty >= 2 && nonEmpty < n) {
    silhouette = silhouetteScore(t.embedding, labels, n > t.silhouetteSampleSize ? { sampleSize: t.silhouetteSampleSize, seed: t.silhouetteSeed } : {});
  }
  const t2 = performance.now();
  return { point: { k: t.k, silhouette, bic, nonEmpty, ms: t2 - t0 }, gmm, labels, gmmMs: t1 - t0, silhouetteMs: t2 - t1 };
}

/** Whether candidate c beats the best so far under the selection rule (ties keep the smaller k). */
function better(by: 'silhouette' | 'bic', c: KCurvePoint, b: KCurvePoint | null): boolean {
  if (Number.isNaN(c.silhouette) && Number.isNaN(c.bic)) return false;
  if (!b) return true;
  if (by === 'bic') return c.bic < b.bic;
  if (Number.isNaN(c.silhouette)) return false;
  return Number.isNaN(b.silhouette) || c.silhouette > b.silhouette;
}

export interface Selection {
  readonly curve: KCurvePoint[];
  readonly k: number;
  readonly gmm: GaussianMixture;
  readonly labels: Int32Array;
  readonly silhouette: number;
  readonly gmmMs: number;
  readonly silhouetteMs: number;
}

/**
 * Fits every k of the range once, then `nInit - 1` more initialisations for the `refineTop` best of them (the calling thread and
 * the pool's workers pulling from one queue, largest k first), and keeps the best. Per-k seeds are fixed up front, so the result does not depend on the number of threads.
 */
export async function selectK(
  fullEmbedding: Matrix,
  o: ResolvedSegmentationOptions,
  seeds: { gmm: number[]; silhouette: number; selection: number },
  pool: MlWorkerPool | null,
  onPoint: (p: KCurvePoint) => void = () => undefined,
): Promise<Selection> {
  const n = fullEmbedding.rows;
  const embedding = n > o.gmm.selectionSampleSize ? takeRows(fullEmbedding, sampleIndices(n, o.gmm.selectionSampleSize, seeds.selection)) : fullEmbedding;
  const ks: number[] = [];
  for (let k = o.gmm.kMin; k <= o.gmm.kMax; k++) ks.push(k);
  /** Restart `restart` (0 = pass 1) of k: one EM run, its own seed. */
  const task = (item: Item): KTask => ({
    embedding,
    k: item.k,
    seed: item.restart === 0 ? seeds.gmm[item.k - o.gmm.kMin]! : (Math.imul(seeds.gmm[item.k - o.gmm.kMin]! ^ 0x5bd1e995, item.restart + 1) >>> 1) & 0x7fffffff,
    covariance: o.gmm.covariance,
    nInit: 1,
    maxIter: o.gmm.maxIter,
    silhouetteSampleSize: o.silhouetteSampleSize,
    silhouetteSeed: seeds.silhouette,
  });
  const shared = pool ? { ...embedding, data: shareFloat64(embedding.data) } : embedding;
  type Item = { k: number; restart: number };
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
            const r = await pool.run<{ point: KCurvePoint; gmm: ReturnType<GaussianMixture['toJSON']> | null; gmmMs: number; silhouetteMs: number }>({
              kind: 'gmm-k',
              ...task(item),
              embedding: shared,
            });
            onPoint(r.point);
            return { point: r.point, gmm: r.gmm ? GaussianMixture.fromJSON(r.gmm) : null, gmmMs: r.gmmMs, silhouetteMs: r.silhouetteMs };
          }
        : null,
      pool,
    );
  // pass 1: one EM run per k (expensive ones first balances the threads)
  const results = await run([...ks].reverse().map((k) => ({ k, restart: 0 })));
  const byK = new Map(results.map((r) => [r.point.k, r]));
  // pass 2: the other nInit - 1 restarts (each its own task, so threads share them) go where they matter, to the best
  // few k of pass 1; the most likely mixture (EM lower bound) of all runs of a k is kept
  if (o.gmm.nInit > 1 && o.gmm.refineTop > 0) {
    const ranked = [...results].filter((r) => r.gmm).sort((x, y) => (better(o.selectBy, x.point, y.point) ? -1 : better(o.selectBy, y.point, x.point) ? 1 : x.point.k - y.point.k));
    const items = ranked.slice(0, o.gmm.refineTop).flatMap((r) => Array.from({ length: o.gmm.nInit - 1 }, (_, i) => ({ k: r.point.k, restart: i + 1 })));
    const refined = await run(items);
    for (const r of refined) {
      const before = byK.get(r.point.k)!;
      const keep = r.gmm && r.gmm.lowerBound > before.gmm!.lowerBound ? r : before;
      byK.set(r.point.k, { ...keep, gmmMs: r.gmmMs + before.gmmMs, silhouetteMs: r.silhouetteMs + before.silhouetteMs, point: { ...keep.point, ms: r.point.ms + before.point.ms } });
    }
  }
  let extraSilhouetteMs = 0;
  const curve = ks.map((k) => byK.get(k)!.point);
  let best: KResult | null = null;
  for (const k of ks) {
    const r = byK.get(k)!;
    if (r.gmm && better(o.selectBy, r.point, best?.point ?? null)) best = r;
  }
  if (!best?.gmm) throw new InvalidInputError(`segmentation: no Gaussian mixture could be fitted for k in ${o.gmm.kMin}..${o.gmm.kMax} on ${embedding.rows} rows`);
  // with a selection sample the curve's silhouettes are the sample's; the final one is measured on everyone's labels
  const labels = best.gmm.predict(fullEmbedding);
  let silhouette = best.point.silhouette;
  // the reported silhouette: exact up to FINAL_SILHOUETTE_EXACT rows, else over a seeded sample of that size
  // (the curve's values may be estimates on a smaller sample, see silhouetteSampleSize)
  if (embedding !== fullEmbedding || n > o.silhouetteSampleSize) {
    const t = performance.now();
    const seen = new Set(labels);
    silhouette = seen.size >= 2 ? silhouetteScore(fullEmbedding, labels, n > FINAL_SILHOUETTE_EXACT ? { sampleSize: FINAL_SILHOUETTE_EXACT, seed: seeds.silhouette } : {}) : NaN;
    extraSilhouetteMs = performance.now() - t;
  }
  return {
    curve,
    k: best.point.k,
    gmm: best.gmm,
    labels,
    silhouette,
    gmmMs: [...byK.values()].reduce((a, r) => a + r.gmmMs, 0),
    silhouetteMs: [...byK.values()].reduce((a, r) => a + r.silhouetteMs, 0) + extraSilhouetteMs,
  };
}

/** m distinct indices of 0..n-1, seeded, ascending. */
export function sampleIndices(n: number, m: number, seed: number): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const rng = new Random(seed);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, m).sort();
}
