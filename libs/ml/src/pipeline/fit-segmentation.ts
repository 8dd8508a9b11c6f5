/**
 * The segmentation pipeline of the seed projects, end to end:
 *   features, target -> random forest regressor -> leaf ids per tree -> exact kNN graph in leaf space (shared-leaf
 *   fraction) -> UMAP on that graph -> Gaussian mixture for every k in a range -> k with the best silhouette.
 * Same data + same seed => identical labels.
 */
import { InvalidInputError, Matrix, assertFinite, takeRows } from '../core/matrix';
import { Random } from '../core/random';
import { LeafIndex, leafKnnGraph } from '../embedding/leaf-index';
import { RandomForestRegressor } from '../forest/random-forest.model';
import { GaussianMixture } from '../gmm/gaussian-mixture';
import { silhouetteScore } from '../silhouette/silhouette';
import { embedGraph } from './embed.stage';
import { KCurvePoint, SegmentationModel } from './segmentation.model';
import { ResolvedSegmentationOptions, SegmentationOptions, resolveSegmentationOptions } from './segmentation.options';

export interface StageTimings {
  /** Milliseconds per stage. */
  forest: number;
  apply: number;
  knn: number;
  umap: number;
  /** GMM fits over the whole k range (all restarts). */
  gmm: number;
  silhouette: number;
  /** Assigning the rows left out of a sampled fit. */
  assignRest: number;
  total: number;
}

export interface SegmentationFit {
  readonly model: SegmentationModel;
  /** Segment of every input row (fitted or, for a sampled fit, assigned). */
  readonly labels: Int32Array;
  /** Input rows used in the fit (ascending); all rows unless the input exceeded fitSampleSize. */
  readonly fittedRows: Int32Array;
  readonly k: number;
  readonly silhouette: number;
  readonly curve: readonly KCurvePoint[];
  readonly timings: StageTimings;
}

export type ProgressListener = (stage: 'forest' | 'apply' | 'knn' | 'umap' | 'gmm' | 'assign' | 'done', detail?: { k?: number; silhouette?: number; ms?: number }) => void;

function now(): number {
  return performance.now();
}

function checkInput(features: Matrix, target: Float64Array, ids: readonly string[] | undefined): void {
  if (features.rows < 3) throw new InvalidInputError(`segmentation needs at least 3 rows (got ${features.rows})`);
  assertFinite(features, 'segmentation features');
  if (target.length !== features.rows) throw new InvalidInputError(`segmentation target has ${target.length} values for ${features.rows} rows`);
  for (let i = 0; i < target.length; i++) {
    if (!Number.isFinite(target[i]!)) throw new InvalidInputError(`segmentation target has a non-finite value (${target[i]}) at row ${i}`);
  }
  if (ids && ids.length !== features.rows) throw new InvalidInputError(`segmentation: ${ids.length} ids for ${features.rows} rows`);
}

function sampleRows(n: number, m: number, rng: Random): Int32Array {
  const idx = new Int32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(n - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  return idx.slice(0, m).sort();
}

function countNonEmpty(labels: Int32Array, k: number): number {
  const seen = new Uint8Array(k);
  for (const l of labels) seen[l] = 1;
  return seen.reduce((a, b) => a + b, 0);
}

/** Fits the forest (possibly in worker threads) and everything after it in the calling thread. */
export async function fitSegmentation(
  features: Matrix,
  target: Float64Array,
  options: SegmentationOptions = {},
  onProgress: ProgressListener = () => undefined,
): Promise<SegmentationFit> {
  const o = resolveSegmentationOptions(options);
  checkInput(features, target, options.ids);
  const t0 = now();
  const master = new Random(o.seed);
  const seeds = { sample: master.fork(), forest: master.int(0x7fffffff), umap: master.int(0x7fffffff), gmm: master.int(0x7fffffff), silhouette: master.int(0x7fffffff) };

  const n = features.rows;
  const sampled = n > o.fitSampleSize;
  const fittedRows = sampled ? sampleRows(n, o.fitSampleSize, seeds.sample) : Int32Array.from({ length: n }, (_, i) => i);
  const X = sampled ? takeRows(features, fittedRows) : features;
  const y = sampled ? Float64Array.from(fittedRows, (i) => target[i]!) : target;
  const ids = options.ids ? (sampled ? Array.from(fittedRows, (i) => options.ids![i]!) : [...options.ids]) : null;
  const timings: StageTimings = { forest: 0, apply: 0, knn: 0, umap: 0, gmm: 0, silhouette: 0, assignRest: 0, total: 0 };

  onProgress('forest');
  let t = now();
  const forest = await RandomForestRegressor.fitAsync(X, y, {
    nTrees: o.forest.nTrees,
    maxFeatures: o.forest.maxFeatures,
    minSamplesLeaf: o.forest.minSamplesLeaf,
    maxDepth: o.forest.maxDepth ?? undefined,
    bootstrap: o.forest.bootstrap,
    seed: seeds.forest,
    workers: o.forest.workers,
  });
  timings.forest = now() - t;

  onProgress('apply');
  t = now();
  const leaves = { n: X.rows, nTrees: forest.nTrees, leaves: forest.apply(X), leafCounts: forest.leafCounts };
  timings.apply = now() - t;

  onProgress('knn');
  t = now();
  const leafIndex = LeafIndex.build(leaves);
  // umap-learn's n_neighbors counts the point itself: the graph holds nNeighbors - 1 others
  const nNeighbors = Math.min(o.nNeighbors, X.rows - 1);
  const graph = leafKnnGraph(leaves, nNeighbors - 1, leafIndex);
  timings.knn = now() - t;

  onProgress('umap');
  t = now();
  const embedding = embedGraph(graph, {
    engine: o.umap.engine,
    nComponents: o.umap.nComponents,
    nNeighbors,
    minDist: o.umap.minDist,
    nEpochs: o.umap.nEpochs ?? undefined,
    seed: seeds.umap,
  });
  timings.umap = now() - t;

  const { curve, best } = selectK(embedding, o, seeds.gmm, seeds.silhouette, timings, onProgress);
  const model = new SegmentationModel(o, forest, X, best.labels, embedding, best.gmm, best.k, best.silhouette, curve, ids, leafIndex);

  let labels = best.labels;
  if (sampled) {
    onProgress('assign');
    t = now();
    labels = new Int32Array(n);
    const rest = new Int32Array(n - fittedRows.length);
    let r = 0;
    let f = 0;
    for (let i = 0; i < n; i++) {
      if (f < fittedRows.length && fittedRows[f] === i) labels[i] = best.labels[f++]!;
      else rest[r++] = i;
    }
    const assigned = model.assign(takeRows(features, rest)).labels;
    for (let q = 0; q < rest.length; q++) labels[rest[q]!] = assigned[q]!;
    timings.assignRest = now() - t;
  }
  timings.total = now() - t0;
  onProgress('done', { k: best.k, silhouette: best.silhouette, ms: timings.total });
  return { model, labels, fittedRows, k: best.k, silhouette: best.silhouette, curve, timings };
}

interface Candidate {
  k: number;
  gmm: GaussianMixture;
  labels: Int32Array;
  silhouette: number;
  bic: number;
}

function selectK(
  embedding: Matrix,
  o: ResolvedSegmentationOptions,
  gmmSeed: number,
  silhouetteSeed: number,
  timings: StageTimings,
  onProgress: ProgressListener,
): { curve: KCurvePoint[]; best: Candidate } {
  const n = embedding.rows;
  const curve: KCurvePoint[] = [];
  let best: Candidate | null = null;
  const better = (c: Candidate, b: Candidate | null): boolean => {
    if (!b) return true;
    if (o.selectBy === 'bic') return c.bic < b.bic || (Number.isNaN(b.silhouette) && !Number.isNaN(c.silhouette));
    if (Number.isNaN(c.silhouette)) return false;
    return Number.isNaN(b.silhouette) || c.silhouette > b.silhouette;
  };
  const seedRng = new Random(gmmSeed);
  for (let k = o.gmm.kMin; k <= o.gmm.kMax; k++) {
    const seed = seedRng.int(0x7fffffff);
    if (k > n) {
      curve.push({ k, silhouette: NaN, bic: NaN, nonEmpty: 0, ms: 0 });
      continue;
    }
    let t = now();
    let gmm: GaussianMixture;
    try {
      gmm = GaussianMixture.fit(embedding, { k, covariance: o.gmm.covariance, nInit: o.gmm.nInit, maxIter: o.gmm.maxIter, seed });
    } catch (e) {
      if (!(e instanceof InvalidInputError)) throw e;
      curve.push({ k, silhouette: NaN, bic: NaN, nonEmpty: 0, ms: now() - t });
      continue;
    }
    const labels = gmm.predict(embedding);
    const bic = gmm.bic(embedding);
    const gmmMs = now() - t;
    timings.gmm += gmmMs;
    t = now();
    const nonEmpty = countNonEmpty(labels, k);
    let silhouette = NaN;
    if (nonEmpty >= 2 && nonEmpty < n) {
      silhouette = silhouetteScore(embedding, labels, n > o.silhouetteSampleSize ? { sampleSize: o.silhouetteSampleSize, seed: silhouetteSeed } : {});
    }
    const silMs = now() - t;
    timings.silhouette += silMs;
    curve.push({ k, silhouette, bic, nonEmpty, ms: gmmMs + silMs });
    onProgress('gmm', { k, silhouette, ms: gmmMs + silMs });
    const c = { k, gmm, labels, silhouette, bic };
    if (better(c, best)) best = c;
  }
  if (!best) throw new InvalidInputError(`segmentation: no Gaussian mixture could be fitted for k in ${o.gmm.kMin}..${o.gmm.kMax} on ${n} rows`);
  return { curve, best };
}
