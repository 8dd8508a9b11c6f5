/**
 * The UMAP stage of the pipeline: a precomputed kNN graph (leaf space) -> a low-dimensional embedding.
 *
 * Engines: 'umap-js' (the npm reference implementation, slow: string-keyed sparse matrices) and 'native' (libs/ml's
 * typed-array UMAP, see ../umap). Both take the same precomputed graph, so the geometry is the random-forest one.
 */
import { UMAP } from 'umap-js';
import { KnnGraph } from '../core/knn';
import { Matrix, matrix } from '../core/matrix';
import { Random } from '../core/random';
import { umapAsync } from '../umap/umap';
import type { MlWorkerPool } from '../worker/ml-pool';

export interface EmbedOptions {
  engine: 'native' | 'umap-js';
  nComponents: number;
  /** umap-learn's n_neighbors: the point itself plus nNeighbors - 1 others (the graph must hold at least those). */
  nNeighbors: number;
  minDist: number;
  /** Optimisation epochs; undefined = the engine's default (umap-learn: 500 below 10k points, 200 above). */
  nEpochs?: number;
  /** Vertex shards of the native engine's SGD (see UmapOptions.layoutShards); they run on the pool's threads. */
  layoutShards: number;
  seed: number;
}

/** umap-js needs the point itself as the first neighbour (distance 0), as umap-learn's own kNN search returns. */
function withSelf(g: KnnGraph, nNeighbors: number): { indices: number[][]; distances: number[][] } {
  const kk = Math.min(nNeighbors - 1, g.k);
  const indices: number[][] = [];
  const distances: number[][] = [];
  for (let i = 0; i < g.n; i++) {
    const ri = [i];
    const rd = [0];
    for (let r = 0; r < kk; r++) {
      const j = g.indices[i * g.k + r]!;
      if (j < 0) break;
      ri.push(j);
      rd.push(g.distances[i * g.k + r]!);
    }
    indices.push(ri);
    distances.push(rd);
  }
  return { indices, distances };
}

export function embedWithUmapJs(graph: KnnGraph, o: EmbedOptions): Matrix {
  const rng = new Random(o.seed);
  const umap = new UMAP({
    nComponents: o.nComponents,
    nNeighbors: o.nNeighbors,
    minDist: o.minDist,
    nEpochs: o.nEpochs,
    random: () => rng.next(),
  });
  const { indices, distances } = withSelf(graph, o.nNeighbors);
  umap.setPrecomputedKNN(indices, distances);
  // with a precomputed graph umap-js only uses the number of rows of X
  const rows = Array.from({ length: graph.n }, () => [0]);
  const out = umap.fit(rows);
  const m = matrix(graph.n, o.nComponents);
  out.forEach((r, i) => m.data.set(r, i * o.nComponents));
  return m;
}

export async function embedWithNativeUmap(graph: KnnGraph, o: EmbedOptions, pool: MlWorkerPool | null): Promise<Matrix> {
  const options = { nComponents: o.nComponents, nNeighbors: o.nNeighbors, minDist: o.minDist, nEpochs: o.nEpochs, seed: o.seed, layoutShards: o.layoutShards };
  return (await umapAsync(graph, options, pool)).embedding;
}

export async function embedGraph(graph: KnnGraph, o: EmbedOptions, pool: MlWorkerPool | null): Promise<Matrix> {
  return o.engine === 'umap-js' ? embedWithUmapJs(graph, o) : embedWithNativeUmap(graph, o, pool);
}
