import { KnnGraph, assertKnnGraph } from '../core/knn';
import { InvalidInputError, Matrix, assertFinite, matrix, takeRows } from '../core/matrix';
import { Random } from '../core/random';
import { pca, pcaTransform } from '../linalg/pca';
import { findAbParams } from './ab-params';
import { CsrGraph, bfsOrder, fuzzySimplicialSet, permuteGraph } from './fuzzy-set';
import { euclideanKnn } from './knn-search';
import type { MlWorkerPool } from '../worker/ml-pool';
import { runLayoutThreaded } from './layout-threads';
import { LayoutProblem, runLayoutInline, shardLayout } from './optimize';
import { spectralInit, SpectralOptions } from './spectral';

export interface UmapOptions {
  /** Output dimensions. Default 2. */
  nComponents?: number;
  /**
   * Neighbourhood size counting the point itself, as umap-learn's n_neighbors (so nNeighbors - 1 other points).
   * Default 15. With a precomputed KnnGraph the default is graph.k + 1 and larger values are rejected.
   */
  nNeighbors?: number;
  /** Default 0.1. */
  minDist?: number;
  /** Default 1. */
  spread?: number;
  /** SGD epochs; default 500 up to 10 000 points, else 200 (umap-learn). */
  nEpochs?: number;
  seed?: number;
  learningRate?: number;
  negativeSampleRate?: number;
  repulsionStrength?: number;
  localConnectivity?: number;
  setOpMixRatio?: number;
  /** 'spectral' (default), 'pca' (needs a Matrix input), 'random', or an n x nComponents matrix. */
  init?: 'spectral' | 'pca' | 'random' | Matrix;
  /** Euclidean neighbour search for Matrix input: exact up to 4096 points, NN-descent above (default 'auto'). */
  knn?: 'auto' | 'exact' | 'nndescent';
  spectral?: SpectralOptions;
  /** Use Math.pow for every repulsive sample instead of the interpolated kernel table (slower; for reference). */
  exactKernel?: boolean;
  /**
   * Vertex shards of the SGD epochs (default 1: umap-learn's sequential optimiser). With more, each shard moves its
   * own vertices and sees the others' as published at the end of the epoch before last, so that `umapAsync` can run
   * the shards on worker threads with the same result as running them here (see ShardedLayout).
   */
  layoutShards?: number;
  /** Progress callback after each epoch. */
  onEpoch?: (epoch: number, nEpochs: number) => void;
}

export interface UmapResult {
  /** n x nComponents. */
  embedding: Matrix;
  /** The symmetric fuzzy graph that was optimised (before pruning of weak edges). */
  graph: CsrGraph;
  knn: KnnGraph;
  a: number;
  b: number;
  nEpochs: number;
  /** Wall-clock milliseconds per stage. */
  timings: { knn: number; graph: number; init: number; optimize: number };
}

function isMatrix(x: Matrix | KnnGraph): x is Matrix {
  return (x as Matrix).data !== undefined && (x as Matrix).rows !== undefined;
}

/** Mutates x: scale so max |x| = 10, add N(0, 1e-4) noise (umap-learn noisy_scale_coords). */
function noisyScale(x: Float64Array, rng: Random, maxCoord = 10, noise = 1e-4): void {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  const expansion = m > 0 ? maxCoord / m : 1;
  for (let i = 0; i < x.length; i++) x[i] = x[i]! * expansion + noise * rng.normal();
}

/** Mutates x: every column min-max scaled to [0, 10] (umap-learn before optimisation). */
function rescaleColumns(x: Float64Array, n: number, dim: number): void {
  for (let c = 0; c < dim; c++) {
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = 0; i < n; i++) {
      lo = Math.min(lo, x[i * dim + c]!);
      hi = Math.max(hi, x[i * dim + c]!);
    }
    const span = hi - lo;
    for (let i = 0; i < n; i++) x[i * dim + c] = span > 0 ? (10 * (x[i * dim + c]! - lo)) / span : 5;
  }
}

/** Keeps the first m neighbours of every row. */
function truncateKnn(g: KnnGraph, m: number): KnnGraph {
  if (m >= g.k) return g;
  const indices = new Int32Array(g.n * m);
  const distances = new Float64Array(g.n * m);
  for (let i = 0; i < g.n; i++) {
    indices.set(g.indices.subarray(i * g.k, i * g.k + m), i * m);
    distances.set(g.distances.subarray(i * g.k, i * g.k + m), i * m);
  }
  return { n: g.n, k: m, indices, distances };
}

interface PreparedLayout {
  readonly problem: LayoutProblem;
  /** Generator of the SGD's negative sampling. */
  readonly rng: Random;
  readonly perm: Int32Array;
  readonly graph: CsrGraph;
  readonly knn: KnnGraph;
  readonly times: number[];
}

/** Everything before the SGD epochs: kNN graph, fuzzy set, vertex order, initial layout, edges to sample. */
function prepare(input: Matrix | KnnGraph, options: UmapOptions): PreparedLayout {
  const {
    nComponents = 2,
    minDist = 0.1,
    spread = 1,
    seed = 0,
    learningRate = 1,
    negativeSampleRate = 5,
    repulsionStrength = 1,
    localConnectivity = 1,
    setOpMixRatio = 1,
    init = 'spectral',
    knn: knnMode = 'auto',
  } = options;
  if (!Number.isInteger(nComponents) || nComponents < 1) throw new InvalidInputError(`UMAP: nComponents must be a positive integer, got ${nComponents}`);
  if (!(minDist >= 0) || !(spread > 0) || minDist > spread) throw new InvalidInputError(`UMAP: need 0 <= minDist <= spread and spread > 0 (got minDist=${minDist}, spread=${spread})`);
  const rng = new Random(seed);
  const knnRng = rng.fork(); // forked whether or not it is used, so a precomputed graph gives the same result
  const t0 = performance.now();
  let knn: KnnGraph;
  let data: Matrix | undefined;
  let nNeighbors: number;
  if (isMatrix(input)) {
    assertFinite(input, 'UMAP input');
    data = input;
    nNeighbors = options.nNeighbors ?? 15;
    if (!Number.isInteger(nNeighbors) || nNeighbors < 2) throw new InvalidInputError(`UMAP: nNeighbors must be an integer >= 2, got ${nNeighbors}`);
    if (input.rows <= nNeighbors) {
      throw new InvalidInputError(`UMAP: ${input.rows} points are not enough for nNeighbors=${nNeighbors}; need more than nNeighbors points`);
    }
    knn = euclideanKnn(input, nNeighbors - 1, knnRng, knnMode);
  } else {
    assertKnnGraph(input, 'UMAP knn graph');
    nNeighbors = options.nNeighbors ?? input.k + 1;
    if (nNeighbors - 1 > input.k) throw new InvalidInputError(`UMAP: nNeighbors=${nNeighbors} needs ${nNeighbors - 1} neighbours per point, the graph has ${input.k}`);
    if (nNeighbors < 2) throw new InvalidInputError(`UMAP: nNeighbors must be >= 2, got ${nNeighbors}`);
    knn = truncateKnn(input, nNeighbors - 1);
  }
  const n = knn.n;
  if (n <= nComponents + 1) throw new InvalidInputError(`UMAP: ${n} points are too few for ${nComponents} components`);
  const t1 = performance.now();
  const graph = fuzzySimplicialSet(knn, nNeighbors, localConnectivity, setOpMixRatio);
  // Work in breadth-first vertex order: neighbours sit close in memory, which keeps the spectral mat-vecs and the
  // attractive SGD updates in cache at large n. The embedding is returned in the caller's order.
  const perm = bfsOrder(graph);
  const pg = permuteGraph(graph, perm);
  const t2 = performance.now();

  const nEpochs = options.nEpochs ?? (n <= 10000 ? 500 : 200);
  if (!Number.isInteger(nEpochs) || nEpochs < 1) throw new InvalidInputError(`UMAP: nEpochs must be a positive integer, got ${nEpochs}`);

  // initial layout
  const initRng = rng.fork();
  let emb: Float64Array;
  if (typeof init === 'object') {
    if (init.rows !== n || init.cols !== nComponents) throw new InvalidInputError(`UMAP: init matrix must be ${n}x${nComponents}`);
    assertFinite(init, 'UMAP init');
    emb = takeRows(init, perm).data;
  } else if (init === 'random') {
    emb = new Float64Array(n * nComponents);
    for (let i = 0; i < emb.length; i++) emb[i] = initRng.next() * 20 - 10;
  } else if (init === 'pca') {
    if (!data) throw new InvalidInputError("UMAP: init 'pca' needs a data matrix, not a knn graph");
    emb = new Float64Array(n * nComponents);
    const proj = pcaTransform(pca(data, nComponents), data);
    const m = proj.length / n;
    for (let i = 0; i < n; i++) for (let c = 0; c < m; c++) emb[i * nComponents + c] = proj[perm[i]! * m + c]!;
    noisyScale(emb, initRng);
  } else if (init === 'spectral') {
    emb = spectralInit(pg, nComponents, initRng, data && takeRows(data, perm), options.spectral);
    noisyScale(emb, initRng);
  } else {
    throw new InvalidInputError(`UMAP: unknown init '${String(init)}'`);
  }
  rescaleColumns(emb, n, nComponents);
  const t3 = performance.now();

  // edges that will be sampled: weight >= max / nEpochs
  let wMax = 0;
  for (const w of pg.weights) wMax = Math.max(wMax, w);
  const threshold = wMax / nEpochs;
  let m = 0;
  for (const w of pg.weights) if (w >= threshold) m++;
  const head = new Int32Array(m);
  const tail = new Int32Array(m);
  const epochsPerSample = new Float64Array(m);
  let e = 0;
  for (let i = 0; i < n; i++) {
    for (let p = pg.indptr[i]!; p < pg.indptr[i + 1]!; p++) {
      const w = pg.weights[p]!;
      if (w < threshold) continue;
      head[e] = i;
      tail[e] = pg.indices[p]!;
      epochsPerSample[e++] = wMax / w;
    }
  }
  const { a, b } = findAbParams(spread, minDist);
  const problem: LayoutProblem = { embedding: emb, n, dim: nComponents, head, tail, epochsPerSample, a, b, nEpochs, gamma: repulsionStrength, initialAlpha: learningRate, negativeSampleRate, exactKernel: options.exactKernel };
  return { problem, rng: rng.fork(), perm, graph, knn, times: [t0, t1, t2, t3] };
}

/** The optimised layout back in the caller's vertex order, with the stage timings. */
function finish(p: PreparedLayout): UmapResult {
  const { problem, perm, graph, knn } = p;
  const { n, dim: nComponents, embedding: emb, a, b, nEpochs } = problem;
  const [t0, t1, t2, t3] = p.times as [number, number, number, number];
  const out = new Float64Array(n * nComponents);
  for (let i = 0; i < n; i++) out.set(emb.subarray(i * nComponents, (i + 1) * nComponents), perm[i]! * nComponents);
  const t4 = performance.now();
  return {
    embedding: matrix(n, nComponents, out),
    graph,
    knn,
    a,
    b,
    nEpochs,
    timings: { knn: t1 - t0, graph: t2 - t1, init: t3 - t2, optimize: t4 - t3 },
  };
}

/**
 * UMAP (McInnes, Healy & Melville) following umap-learn: kNN graph → fuzzy simplicial set → spectral initialisation →
 * SGD with negative sampling. Input is a data matrix (euclidean) or a precomputed KnnGraph (e.g. random-forest leaf
 * neighbours). Typed arrays throughout; seeded, so identical input and seed give an identical embedding. Runs in the
 * calling thread (see umapAsync for the SGD shards on worker threads).
 */
export function umap(input: Matrix | KnnGraph, options: UmapOptions = {}): UmapResult {
  const shards = shardsOf(options);
  const p = prepare(input, options);
  const L = shardLayout(p.problem, shards, p.rng);
  runLayoutInline(L, options.onEpoch);
  p.problem.embedding.set(L.embedding);
  return finish(p);
}

/**
 * `umap` with the SGD's vertex shards (options.layoutShards) spread over the calling thread and the pool's workers:
 * the same embedding as `umap` with the same options, in about 1 / shards of the epochs' time.
 */
export async function umapAsync(input: Matrix | KnnGraph, options: UmapOptions, pool: MlWorkerPool | null): Promise<UmapResult> {
  const shards = shardsOf(options);
  const p = prepare(input, options);
  const L = shardLayout(p.problem, shards, p.rng, pool !== null && shards > 1);
  await runLayoutThreaded(L, pool, options.onEpoch);
  p.problem.embedding.set(L.embedding);
  return finish(p);
}

function shardsOf(o: UmapOptions): number {
  const s = o.layoutShards ?? 1;
  if (!Number.isInteger(s) || s < 1) throw new InvalidInputError(`UMAP: layoutShards must be a positive integer, got ${s}`);
  return s;
}
