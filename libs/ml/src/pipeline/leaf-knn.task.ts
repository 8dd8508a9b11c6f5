/** Leaf-space neighbour searches cut into chunks that worker threads can take (assignment, and the fit's kNN graph). */
import { KnnGraph } from '../core/knn';
import { matrix } from '../core/matrix';
import { LeafIndex, LeafIndexArrays, LeafMatrix, leafKnnGraph } from '../embedding/leaf-index';
import { RandomForestArrays, RandomForestRegressor } from '../forest/random-forest.model';
import { MlWorkerPool, shareWork } from '../worker/ml-pool';
import { isShared, shareInt32 } from '../worker/ts-worker';

/** Neighbours of a chunk of new rows among the fitted customers: one unit of (possibly threaded) assignment. */
export interface LeafKnnTask {
  readonly forest: RandomForestArrays;
  readonly index: LeafIndexArrays;
  /** rows x cols, row-major. */
  readonly rows: Float64Array;
  readonly cols: number;
  readonly k: number;
  readonly exclude: Int32Array | null;
}

export function leafKnnChunk(t: LeafKnnTask, forest = RandomForestRegressor.fromArrays(t.forest), index = LeafIndex.fromArrays(t.index)): KnnGraph {
  const n = t.rows.length / t.cols;
  const leaves = forest.apply(matrix(n, t.cols, t.rows));
  return index.query(leaves, n, t.k, t.exclude ?? undefined);
}

/** Neighbours of indexed rows [from, to) among all indexed rows, self excluded: one unit of the fit's kNN graph. */
export interface LeafGraphTask {
  readonly index: LeafIndexArrays;
  /** Leaf ids of all indexed rows (n x nTrees, shared). */
  readonly leaves: Int32Array;
  readonly from: number;
  readonly to: number;
  readonly k: number;
}

export function leafGraphChunk(t: LeafGraphTask, index = LeafIndex.fromArrays(t.index)): KnnGraph {
  const T = t.index.nTrees;
  const self = new Int32Array(t.to - t.from);
  for (let i = 0; i < self.length; i++) self[i] = t.from + i;
  return index.query(t.leaves.subarray(t.from * T, t.to * T), t.to - t.from, t.k, self);
}

/** The index's arrays in shared memory (workers read them without a copy). */
export function shareLeafIndex(a: LeafIndexArrays): LeafIndexArrays {
  return { ...a, leafCounts: shareInt32(a.leafCounts), treeBase: shareInt32(a.treeBase), ptr: shareInt32(a.ptr), members: shareInt32(a.members) };
}

/** Concatenates row-chunk graphs (chunk c starts at row starts[c]). */
export function concatGraphs(parts: readonly KnnGraph[], starts: readonly number[], n: number, k: number): KnnGraph {
  const indices = new Int32Array(n * k);
  const distances = new Float64Array(n * k);
  parts.forEach((g, c) => {
    indices.set(g.indices, starts[c]! * k);
    distances.set(g.distances, starts[c]! * k);
  });
  return { n, k, indices, distances };
}

/** Rows per chunk of the threaded kNN graph: small enough for the threads to share the work evenly. */
const GRAPH_CHUNK = 512;

/**
 * `leafKnnGraph` with row chunks shared by the calling thread and the pool's workers: the same exact graph.
 */
export async function leafKnnGraphAsync(m: LeafMatrix, k: number, index: LeafIndex, pool: MlWorkerPool | null): Promise<KnnGraph> {
  if (!pool || m.n <= GRAPH_CHUNK) return leafKnnGraph(m, k, index);
  const shared = shareLeafIndex(index.toArrays());
  const leaves = isShared(m.leaves) ? m.leaves : shareInt32(m.leaves);
  const starts: number[] = [];
  for (let s = 0; s < m.n; s += GRAPH_CHUNK) starts.push(s);
  const task = (s: number): LeafGraphTask => ({ index: shared, leaves, from: s, to: Math.min(m.n, s + GRAPH_CHUNK), k });
  const parts = await shareWork<number, KnnGraph>(
    starts,
    (s) => leafGraphChunk(task(s), index),
    (s) => pool.run<KnnGraph>({ kind: 'leaf-graph', ...task(s) }),
    pool,
  );
  return concatGraphs(parts, starts, m.n, k);
}
