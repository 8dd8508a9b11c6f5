/** Leaf-space neighbours of a chunk of rows among the fitted customers: one unit of (possibly threaded) assignment. */
import { KnnGraph } from '../core/knn';
import { matrix } from '../core/matrix';
import { LeafIndex, LeafIndexArrays } from '../embedding/leaf-index';
import { RandomForestArrays, RandomForestRegressor } from '../forest/random-forest.model';

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
