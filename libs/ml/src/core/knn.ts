import { InvalidInputError } from './matrix';

/**
 * A k-nearest-neighbour graph: the contract between neighbour search (e.g. leaf-space neighbours of a random-forest
 * embedding) and the algorithms that consume a precomputed graph (UMAP's fuzzy simplicial set, assignment votes).
 *
 * Row i holds the k nearest neighbours of point i, sorted by ascending distance (ties by ascending index).
 * The point itself is NOT included (as in umap-learn with a precomputed graph minus self). Where fewer than k other
 * points exist, missing slots hold index -1 and distance +Infinity.
 */
export interface KnnGraph {
  /** Number of points. */
  readonly n: number;
  /** Neighbours per point. */
  readonly k: number;
  /** n*k neighbour indices, row-major. */
  readonly indices: Int32Array;
  /** n*k distances (non-negative), row-major, matching `indices`. */
  readonly distances: Float64Array;
}

export function assertKnnGraph(g: KnnGraph, what = 'knn graph'): void {
  if (!Number.isInteger(g.n) || g.n < 0 || !Number.isInteger(g.k) || g.k < 0) {
    throw new InvalidInputError(`${what}: n and k must be non-negative integers (got n=${g.n}, k=${g.k})`);
  }
  if (g.indices.length !== g.n * g.k || g.distances.length !== g.n * g.k) {
    throw new InvalidInputError(`${what}: expected ${g.n * g.k} indices and distances, got ${g.indices.length} / ${g.distances.length}`);
  }
  for (let i = 0; i < g.indices.length; i++) {
    const j = g.indices[i]!;
    if (j < -1 || j >= g.n) throw new InvalidInputError(`${what}: neighbour index ${j} out of range at slot ${i}`);
    const d = g.distances[i]!;
    if (Number.isNaN(d) || d < 0 || (j >= 0 && !Number.isFinite(d))) {
      throw new InvalidInputError(`${what}: invalid distance ${d} at slot ${i}`);
    }
  }
}
