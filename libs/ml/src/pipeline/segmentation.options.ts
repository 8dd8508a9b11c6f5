import { InvalidInputError } from '../core/matrix';
import { MaxFeatures } from '../forest/random-forest.model';
import { VoteWeighting } from '../assign/neighbour-vote';

/**
 * Options of `fitSegmentation`. Defaults follow the seed project (sklearn RandomForestRegressor(n_estimators=300),
 * UMAP on the leaf embedding, GaussianMixture(covariance_type='full') for k = 8..24 chosen by silhouette) except
 * where noted.
 */
export interface SegmentationOptions {
  /** Master seed: every stage draws its seed from it (default 0). */
  seed?: number;
  forest?: {
    nTrees?: number;
    maxFeatures?: MaxFeatures;
    minSamplesLeaf?: number;
    maxDepth?: number;
    bootstrap?: boolean;
  };
  /**
   * Threads, the calling one included, for growing trees and fitting the k range (default 'auto': up to 4 cores
   * when rows x trees >= 300 000, else 1). The result does not depend on it.
   */
  threads?: number | 'auto';
  /** UMAP neighbourhood in leaf space, counting the customer itself as umap-learn's n_neighbors (default 15). */
  nNeighbors?: number;
  umap?: {
    /**
     * Embedding dimensions (default 5). The seed used 43, but full-covariance EM costs n x k x d^2 per iteration and
     * on the seed customers the silhouettes at 2, 5 and 8 dimensions are alike (0.40-0.51 for k = 8..22), so 5 keeps
     * some room for structure at a fraction of the cost. bench/ml.ts prints the 43-D figure for comparison.
     */
    nComponents?: number;
    /** Default 0: tight clumps, as the UMAP documentation recommends for clustering (umap-learn's default is 0.1). */
    minDist?: number;
    /** SGD epochs (default 200, umap-learn's choice above 10k points; 500 below buys little here). */
    nEpochs?: number;
    /**
     * Vertex shards of the SGD epochs (default 2), run on two threads when `threads` > 1 and one after the other
     * otherwise, with the same result. Each shard sees the other's vertices as published at the end of the epoch
     * before last (umap-learn's own parallel SGD reads whatever another thread wrote last); on the seed customers
     * silhouette, leaf-space trustworthiness and assignment agreement equal the sequential optimiser's (bench/ml).
     * 1 = umap-learn's sequential optimiser.
     */
    layoutShards?: number;
    engine?: 'native' | 'umap-js';
    /**
     * What UMAP sees: 'leaf-graph' (default) the exact shared-leaf kNN graph (Hamming geometry on leaf ids);
     * 'node-ids' the seed project's input, sklearn apply() node ids with the euclidean metric (native engine only).
     * On the seed data it gives higher silhouettes at k=22 (0.62 at 2-D, 0.71 at 43-D, against 0.39 at 5-D and
     * 0.36-0.40 at 43-D for the leaf graph), but node numbers are compared as magnitudes, a geometry without meaning.
     */
    input?: 'leaf-graph' | 'node-ids';
  };
  gmm?: {
    kMin?: number;
    kMax?: number;
    covariance?: 'full' | 'diag';
    /** EM restarts (default 3) for the `refineTop` best k of a first pass with one run per k. */
    nInit?: number;
    /** How many of the best k of the first pass get the restarts (default 1, keeping the 4.4k refit within 5 s; 0 = none). */
    refineTop?: number;
    maxIter?: number;
    /**
     * Above this many customers the k range is fitted on a seeded sample of this size (default 10 000) and the
     * chosen mixture labels everyone: EM cost is n x k x d^2 per iteration, and a 10k sample pins the components.
     */
    selectionSampleSize?: number;
  };
  /** How k is chosen from the curve (default 'silhouette'; 'bic' = lowest BIC). */
  selectBy?: 'silhouette' | 'bic';
  /**
   * Silhouettes of the k curve: exact up to this many rows, over a seeded sample of this many above (default 2 500;
   * sampled values differ from exact ones by ~0.005-0.01 on the seed data, at a quarter of the cost at 4.4k). The
   * chosen segmentation's reported silhouette is exact up to 10 000 rows.
   */
  silhouetteSampleSize?: number;
  /**
   * Fit on a seeded random sample of this many rows when there are more (default 30 000); the rest are assigned
   * through the forest and their leaf-space neighbours (99.3-99.6% agreement with fitted labels in bench/ml.ts), which
   * bounds UMAP (single-threaded, ~75 s CPU at 50k) and the forest's size (~20 bytes x 2n nodes per tree).
   */
  fitSampleSize?: number;
  assign?: {
    /** Neighbours voting for a new customer's segment (default 15). */
    k?: number;
    weighting?: VoteWeighting;
  };
  /** Optional row ids (e.g. customer ids), kept in the model so that assignments can name their neighbours. */
  ids?: readonly string[];
}

export interface ResolvedSegmentationOptions {
  seed: number;
  forest: { nTrees: number; maxFeatures: MaxFeatures; minSamplesLeaf: number; maxDepth: number | null; bootstrap: boolean };
  threads: number | 'auto';
  nNeighbors: number;
  umap: { nComponents: number; minDist: number; nEpochs: number; layoutShards: number; engine: 'native' | 'umap-js'; input: 'leaf-graph' | 'node-ids' };
  gmm: { kMin: number; kMax: number; covariance: 'full' | 'diag'; nInit: number; refineTop: number; maxIter: number; selectionSampleSize: number };
  selectBy: 'silhouette' | 'bic';
  silhouetteSampleSize: number;
  fitSampleSize: number;
  assign: { k: number; weighting: VoteWeighting };
}

export const DEFAULT_UMAP_COMPONENTS = 5;

export function resolveSegmentationOptions(o: SegmentationOptions = {}): ResolvedSegmentationOptions {
  const r: ResolvedSegmentationOptions = {
    seed: o.seed ?? 0,
    forest: {
      nTrees: o.forest?.nTrees ?? 300,
      maxFeatures: o.forest?.maxFeatures ?? 'all',
      minSamplesLeaf: o.forest?.minSamplesLeaf ?? 1,
      maxDepth: o.forest?.maxDepth ?? null,
      bootstrap: o.forest?.bootstrap ?? true,
    },
    threads: o.threads ?? 'auto',
    nNeighbors: o.nNeighbors ?? 15,
    umap: {
      nComponents: o.umap?.nComponents ?? DEFAULT_UMAP_COMPONENTS,
      minDist: o.umap?.minDist ?? 0,
      nEpochs: o.umap?.nEpochs ?? 200,
      layoutShards: o.umap?.layoutShards ?? 2,
      engine: o.umap?.engine ?? 'native',
      input: o.umap?.input ?? 'leaf-graph',
    },
    gmm: {
      kMin: o.gmm?.kMin ?? 8,
      kMax: o.gmm?.kMax ?? 24,
      covariance: o.gmm?.covariance ?? 'full',
      nInit: o.gmm?.nInit ?? 3,
      refineTop: o.gmm?.refineTop ?? 1,
      maxIter: o.gmm?.maxIter ?? 100,
      selectionSampleSize: o.gmm?.selectionSampleSize ?? 10_000,
    },
    selectBy: o.selectBy ?? 'silhouette',
    silhouetteSampleSize: o.silhouetteSampleSize ?? 2_500,
    fitSampleSize: o.fitSampleSize ?? 30_000,
    assign: { k: o.assign?.k ?? 15, weighting: o.assign?.weighting ?? 'similarity' },
  };
  const int = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new InvalidInputError(`segmentation: ${name} must be an integer >= ${min} (got ${v})`);
  };
  int(r.seed, 'seed', -0x80000000);
  if (r.threads !== 'auto') int(r.threads, 'threads', 1);
  int(r.nNeighbors, 'nNeighbors', 2);
  int(r.umap.nComponents, 'umap.nComponents', 1);
  int(r.gmm.kMin, 'gmm.kMin', 2);
  int(r.gmm.kMax, 'gmm.kMax', r.gmm.kMin);
  int(r.gmm.nInit, 'gmm.nInit', 1);
  int(r.gmm.maxIter, 'gmm.maxIter', 1);
  int(r.gmm.refineTop, 'gmm.refineTop', 0);
  int(r.umap.nEpochs, 'umap.nEpochs', 1);
  int(r.umap.layoutShards, 'umap.layoutShards', 1);
  int(r.gmm.selectionSampleSize, 'gmm.selectionSampleSize', 10);
  int(r.silhouetteSampleSize, 'silhouetteSampleSize', 3);
  int(r.fitSampleSize, 'fitSampleSize', 10);
  int(r.assign.k, 'assign.k', 1);
  return r;
}
