/**
 * The segmentation pipeline of the seed projects, end to end:
 *   features, target -> random forest regressor -> leaf ids per tree -> exact kNN graph in leaf space (shared-leaf
 *   fraction) -> UMAP on that graph -> Gaussian mixture for every k in a range -> k with the best silhouette.
 * Same data + same seed => identical labels.
 */
import { availableParallelism } from 'node:os';
import { InvalidInputError, Matrix, assertFinite, matrix, takeRows } from '../core/matrix';
import { umapAsync } from '../umap/umap';
import { Random, sampleIndices } from '../core/random';
import { LeafIndex } from '../embedding/leaf-index';
import { RandomForestRegressor } from '../forest/random-forest.model';
import { MlWorkerPool } from '../worker/ml-pool';
import { embedGraph } from './embed.stage';
import { leafKnnGraphAsync } from './leaf-knn.task';
import { KCurvePoint, SegmentationModel } from './segmentation.model';
import { ResolvedSegmentationOptions, SegmentationOptions, resolveSegmentationOptions } from './segmentation.options';
import { selectKRange } from '../selection/select-k';

export interface StageTimings {
  /** Milliseconds per stage. */
  forest: number;
  /** ~0: the training rows' leaves are computed with the trees, in the forest stage. */
  apply: number;
  knn: number;
  umap: number;
  /** Wall time of the model selection over the k range (GMM fits and silhouettes, in parallel when threads > 1). */
  selectK: number;
  /** Thread time in GMM fits over the whole k range (all restarts), summed over threads. */
  gmm: number;
  /** Thread time in silhouettes, summed over threads. */
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

/**
 * Fits the whole pipeline. With threads > 1 the trees, the UMAP epochs' vertex shards and the k range are shared
 * between the calling thread and worker threads (use `fitSegmentationInWorker` to keep an event loop free).
 */
export async function fitSegmentation(
  features: Matrix,
  target: Float64Array,
  options: SegmentationOptions = {},
  onProgress: ProgressListener = () => undefined,
): Promise<SegmentationFit> {
  const o = resolveSegmentationOptions(options);
  checkInput(features, target, options.ids);
  const n = features.rows;
  const sampledRows = Math.min(n, o.fitSampleSize);
  const threads = o.threads === 'auto' ? (sampledRows * o.forest.nTrees >= 300_000 ? Math.min(4, availableParallelism()) : 1) : o.threads;
  // worker threads start now; their start-up overlaps with sampling and presorting in the calling thread
  const pool = threads > 1 ? new MlWorkerPool(threads - 1) : null;
  try {
    return await fitStages(features, target, o, options.ids ?? null, pool, onProgress);
  } finally {
    await pool?.close();
  }
}

async function fitStages(
  features: Matrix,
  target: Float64Array,
  o: ResolvedSegmentationOptions,
  allIds: readonly string[] | null,
  pool: MlWorkerPool | null,
  onProgress: ProgressListener,
): Promise<SegmentationFit> {
  const t0 = now();
  const master = new Random(o.seed);
  const seeds = {
    sample: master.fork(),
    forest: master.int(0x7fffffff),
    umap: master.int(0x7fffffff),
    silhouette: master.int(0x7fffffff),
    selection: master.int(0x7fffffff),
    gmm: Array.from({ length: o.gmm.kMax - o.gmm.kMin + 1 }, () => master.int(0x7fffffff)),
  };

  const n = features.rows;
  const sampled = n > o.fitSampleSize;
  const fittedRows = sampled ? sampleIndices(n, o.fitSampleSize, seeds.sample) : Int32Array.from({ length: n }, (_, i) => i);
  const X = sampled ? takeRows(features, fittedRows) : features;
  const y = sampled ? Float64Array.from(fittedRows, (i) => target[i]!) : target;
  const ids = allIds ? (sampled ? Array.from(fittedRows, (i) => allIds[i]!) : [...allIds]) : null;
  const timings: StageTimings = { forest: 0, apply: 0, knn: 0, umap: 0, selectK: 0, gmm: 0, silhouette: 0, assignRest: 0, total: 0 };

  onProgress('forest');
  let t = now();
  const forestOptions = {
    nTrees: o.forest.nTrees,
    maxFeatures: o.forest.maxFeatures,
    minSamplesLeaf: o.forest.minSamplesLeaf,
    maxDepth: o.forest.maxDepth ?? undefined,
    bootstrap: o.forest.bootstrap,
    seed: seeds.forest,
  };
  // each thread computes the training rows' leaves of the trees it grows (no separate apply pass)
  const { forest, leaves: leafIds } = await RandomForestRegressor.fitAndApplyAsync(X, y, forestOptions, pool);
  timings.forest = now() - t;
  if (forest.leafCounts.every((c) => c === 1)) {
    throw new InvalidInputError('segmentation: no tree could split (constant target or constant features), so every customer has the same leaves');
  }

  onProgress('apply');
  t = now();
  const leaves = { n: X.rows, nTrees: forest.nTrees, leaves: leafIds, leafCounts: forest.leafCounts };
  timings.apply = now() - t;

  onProgress('knn');
  t = now();
  const leafIndex = LeafIndex.build(leaves);
  // umap-learn's n_neighbors counts the point itself: the graph holds nNeighbors - 1 others
  const nNeighbors = Math.min(o.nNeighbors, X.rows - 1);
  const graph = await leafKnnGraphAsync(leaves, nNeighbors - 1, leafIndex, pool);
  timings.knn = now() - t;

  onProgress('umap');
  t = now();
  const embedOptions = {
    engine: o.umap.engine,
    nComponents: o.umap.nComponents,
    nNeighbors,
    minDist: o.umap.minDist,
    nEpochs: o.umap.nEpochs,
    layoutShards: o.umap.layoutShards,
    seed: seeds.umap,
  };
  const embedding =
    o.umap.input === 'node-ids'
      ? (await umapAsync(matrix(X.rows, forest.nTrees, Float64Array.from(forest.applyNodeIds(X))), embedOptions, pool)).embedding
      : await embedGraph(graph, embedOptions, pool);
  timings.umap = now() - t;

  onProgress('gmm');
  t = now();
  const best = await selectKRange(
    embedding,
    { ...o.gmm, method: 'gmm', silhouetteSampleSize: o.silhouetteSampleSize, selectBy: o.selectBy },
    { perK: seeds.gmm, silhouette: seeds.silhouette, selection: seeds.selection },
    pool,
    (p) => onProgress('gmm', { k: p.k, silhouette: p.silhouette, ms: p.ms }),
  );
  if (best.model.method !== 'gmm') throw new Error('segmentation: the k range returned a non-mixture model');
  const gmm = best.model.model;
  timings.selectK = now() - t;
  timings.gmm = best.gmmMs;
  timings.silhouette = best.silhouetteMs;
  const model = new SegmentationModel(o, forest, X, Float64Array.from(y), best.labels, embedding, gmm, best.k, best.silhouette, best.curve, ids, leafIndex);

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
    const assigned = (await model.assignAsync(takeRows(features, rest), pool)).labels;
    for (let q = 0; q < rest.length; q++) labels[rest[q]!] = assigned[q]!;
    timings.assignRest = now() - t;
  }
  timings.total = now() - t0;
  onProgress('done', { k: best.k, silhouette: best.silhouette, ms: timings.total });
  return { model, labels, fittedRows, k: best.k, silhouette: best.silhouette, curve: best.curve, timings };
}
