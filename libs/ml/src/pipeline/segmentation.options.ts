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
     * Embedding dimensions. Default 8: the seed used 43 (one per ... nothing in particular), but full-covariance GMM
     * cost grows with d^2-d^3 per component and silhouettes in UMAP space do not improve beyond a handful of
     * dimensions; 8 keeps k = 8..24 with restarts within the 5 s budget at 4.4k customers.
     */
    nComponents?: number;
    minDist?: number;
    nEpochs?: number;
    engine?: 'native' | 'umap-js';
  };
  gmm?: {
    kMin?: number;
    kMax?: number;
    covariance?: 'full' | 'diag';
    /** EM restarts per k (default 3). */
    nInit?: number;
    maxIter?: number;
  };
  /** How k is chosen from the curve (default 'silhouette'; 'bic' = lowest BIC). */
  selectBy?: 'silhouette' | 'bic';
  /** Exact silhouette up to this many rows, sampled silhouette of this many rows above (default 10 000). */
  silhouetteSampleSize?: number;
  /**
   * Fit on a seeded random sample of this many rows when there are more (default 100 000); the rest are assigned
   * through the forest and their leaf-space neighbours.
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
  umap: { nComponents: number; minDist: number; nEpochs: number | null; engine: 'native' | 'umap-js' };
  gmm: { kMin: number; kMax: number; covariance: 'full' | 'diag'; nInit: number; maxIter: number };
  selectBy: 'silhouette' | 'bic';
  silhouetteSampleSize: number;
  fitSampleSize: number;
  assign: { k: number; weighting: VoteWeighting };
}

export const DEFAULT_UMAP_COMPONENTS = 8;

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
      minDist: o.umap?.minDist ?? 0.1,
      nEpochs: o.umap?.nEpochs ?? null,
      engine: o.umap?.engine ?? 'native',
    },
    gmm: {
      kMin: o.gmm?.kMin ?? 8,
      kMax: o.gmm?.kMax ?? 24,
      covariance: o.gmm?.covariance ?? 'full',
      nInit: o.gmm?.nInit ?? 3,
      maxIter: o.gmm?.maxIter ?? 100,
    },
    selectBy: o.selectBy ?? 'silhouette',
    silhouetteSampleSize: o.silhouetteSampleSize ?? 10_000,
    fitSampleSize: o.fitSampleSize ?? 100_000,
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
  int(r.silhouetteSampleSize, 'silhouetteSampleSize', 3);
  int(r.fitSampleSize, 'fitSampleSize', 10);
  int(r.assign.k, 'assign.k', 1);
  return r;
}
