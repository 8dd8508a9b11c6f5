/**
 * The one place the clusterer touches libs/ml. Everything else codes against the small contract below, so that the
 * switch to libs/ml's `fitSegmentation` / `fitSegmentationInWorker` pipeline (forest → leaf embedding → UMAP → GMM)
 * is a change of this file only.
 *
 * INTERIM implementation (until libs/ml exports its pipeline): random forest (libs/ml) on the features with revenue
 * as target; the mixture (libs/ml GMM, full covariance, k by silhouette over the configured range) is fitted on a PCA
 * embedding of the standardised (log-scaled) features; customers outside the fit are placed by a vote of their
 * nearest fitted neighbours in random-forest leaf space (libs/ml); map coordinates = first two PCA components, and
 * the neighbours' weighted mean for assigned customers.
 */
import { runWorker } from '../../../../libs/ml/src/worker/ts-worker';
import { RandomForestRegressor, type RandomForestJSON } from '../../../../libs/ml/src/forest/random-forest.model';
import { LeafIndex, type LeafMatrix } from '../../../../libs/ml/src/embedding/leaf-index';
import { averageNeighbourRows, voteLabels } from '../../../../libs/ml/src/assign/neighbour-vote';
import { GaussianMixture } from '../../../../libs/ml/src/gmm/gaussian-mixture';
import { silhouetteScore } from '../../../../libs/ml/src/silhouette/silhouette';
import { pca, pcaTransform } from '../../../../libs/ml/src/linalg/pca';
import { matrix, type Matrix } from '@insiders/ml';

export interface SegmentationFitOptions {
  seed: number;
  kMin: number;
  kMax: number;
  trees: number;
  minSamplesLeaf: number;
  embeddingDims: number;
  neighbours: number;
}

export interface SegmentationFit {
  /** Cluster 0..k-1 of every training row. */
  labels: Int32Array;
  /** Posterior (or vote share) of the chosen cluster per training row. */
  confidence: Float64Array;
  k: number;
  silhouette: number;
  curve: { k: number; silhouette: number; bic: number | null }[];
  /** 2-D map coordinates, row-major n x 2. */
  map: Float64Array;
  timings: Record<string, number>;
  /** Serialised model (the engine's own JSON). */
  artifact: string;
  engine: string;
}

export interface SegmentationAssignment {
  labels: Int32Array;
  confidence: Float64Array;
  /** Row-major m x 2. */
  map: Float64Array;
  /** Nearest fitted rows (indices into the training rows) and their distances, m x k row-major. */
  neighbours: { k: number; indices: Int32Array; distances: Float64Array };
}

export interface SegmentationModelHandle {
  readonly engine: string;
  readonly trainingSize: number;
  assign(rows: Matrix): SegmentationAssignment;
}

const ENGINE = 'interim-rf-pca-gmm/1';

interface InterimArtifact {
  engine: typeof ENGINE;
  neighbours: number;
  forest: RandomForestJSON;
  n: number;
  nTrees: number;
  leafCounts: string;
  leaves: string;
  labels: string;
  map: string;
}

const b64 = (a: Int32Array | Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64<T extends Int32Array | Float64Array>(s: string, ctor: new (b: ArrayBuffer) => T): T {
  const buf = Buffer.from(s, 'base64');
  const copy = new ArrayBuffer(buf.byteLength);
  new Uint8Array(copy).set(buf);
  return new ctor(copy);
}

function standardise(x: Matrix): Matrix {
  const { rows, cols, data } = x;
  const out = new Float64Array(data.length);
  for (let j = 0; j < cols; j++) {
    let mu = 0;
    for (let i = 0; i < rows; i++) mu += data[i * cols + j]!;
    mu /= Math.max(rows, 1);
    let v = 0;
    for (let i = 0; i < rows; i++) v += (data[i * cols + j]! - mu) ** 2;
    const sd = Math.sqrt(v / Math.max(rows, 1)) || 1;
    for (let i = 0; i < rows; i++) out[i * cols + j] = (data[i * cols + j]! - mu) / sd;
  }
  return matrix(rows, cols, out);
}

/** Synchronous fit (runs inside the worker thread). */
export function fitSegmentationNow(features: Matrix, target: Float64Array, options: SegmentationFitOptions): SegmentationFit {
  const timings: Record<string, number> = {};
  let t = performance.now();
  const lap = (stage: string): void => {
    const now = performance.now();
    timings[stage] = Math.round(now - t);
    t = now;
  };
  const forest = RandomForestRegressor.fit(features, target, { nTrees: options.trees, seed: options.seed, minSamplesLeaf: options.minSamplesLeaf, workers: 1 });
  const leaves = forest.apply(features);
  lap('forest');

  const z = standardise(features);
  const p = pca(z, Math.max(2, Math.min(options.embeddingDims, features.cols)));
  const emb = matrix(features.rows, p.components.length / features.cols, pcaTransform(p, z));
  const map = new Float64Array(features.rows * 2);
  for (let i = 0; i < features.rows; i++) {
    map[i * 2] = emb.data[i * emb.cols]!;
    map[i * 2 + 1] = emb.data[i * emb.cols + 1]!;
  }
  lap('embedding');

  const curve: SegmentationFit['curve'] = [];
  let best: { gmm: GaussianMixture; labels: Int32Array; silhouette: number } | null = null;
  const kMax = Math.min(options.kMax, features.rows - 1);
  for (let k = Math.min(options.kMin, kMax); k <= kMax; k++) {
    const gmm = GaussianMixture.fit(emb, { k, covariance: 'full', nInit: 1, seed: options.seed });
    const labels = gmm.predict(emb);
    if (new Set(labels).size < 2) continue;
    const silhouette = silhouetteScore(emb, labels, { sampleSize: 4000, seed: options.seed });
    curve.push({ k, silhouette, bic: gmm.bic(emb) });
    if (!best || silhouette > best.silhouette) best = { gmm, labels, silhouette };
  }
  lap('mixture');
  if (!best) throw new Error('no k in the configured range produced at least two clusters');
  const proba = best.gmm.predictProba(emb);
  const confidence = new Float64Array(features.rows);
  for (let i = 0; i < features.rows; i++) confidence[i] = proba.data[i * proba.cols + best.labels[i]!]!;

  const leafCounts = new Int32Array(forest.nTrees);
  for (let tr = 0; tr < forest.nTrees; tr++) leafCounts[tr] = forest.tree(tr).nLeaves;
  const artifact: InterimArtifact = {
    engine: ENGINE,
    neighbours: options.neighbours,
    forest: forest.toJSON(),
    n: features.rows,
    nTrees: forest.nTrees,
    leafCounts: b64(leafCounts),
    leaves: b64(leaves),
    labels: b64(best.labels),
    map: b64(map),
  };
  lap('serialise');
  // compact labels into 0..k-1 (a component may be empty)
  const used = [...new Set(best.labels)].sort((a, b) => a - b);
  const remap = new Map(used.map((l, i) => [l, i]));
  const labels = Int32Array.from(best.labels, (l) => remap.get(l)!);
  artifact.labels = b64(labels);
  return {
    labels,
    confidence,
    k: used.length,
    silhouette: best.silhouette,
    curve,
    map,
    timings,
    artifact: JSON.stringify(artifact),
    engine: ENGINE,
  };
}

export const FIT_WORKER_ENTRY = `${__dirname}/fit.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

/** Fits in a worker thread: the caller's event loop stays free. */
export async function fitSegmentation(features: Matrix, target: Float64Array, options: SegmentationFitOptions): Promise<SegmentationFit> {
  return runWorker<SegmentationFit>(FIT_WORKER_ENTRY, { rows: features.rows, cols: features.cols, data: features.data, target, options });
}

export function loadSegmentationModel(artifactJson: string): SegmentationModelHandle {
  const a = JSON.parse(artifactJson) as InterimArtifact;
  if (a.engine !== ENGINE) throw new Error(`unknown segmentation engine "${String(a.engine)}"`);
  const forest = RandomForestRegressor.fromJSON(a.forest);
  const leafMatrix: LeafMatrix = { n: a.n, nTrees: a.nTrees, leaves: fromB64(a.leaves, Int32Array), leafCounts: fromB64(a.leafCounts, Int32Array) };
  const index = LeafIndex.build(leafMatrix);
  const labels = fromB64(a.labels, Int32Array);
  const mapM = matrix(a.n, 2, fromB64(a.map, Float64Array));
  const k = Math.min(a.neighbours, a.n);
  return {
    engine: ENGINE,
    trainingSize: a.n,
    assign(rows: Matrix): SegmentationAssignment {
      if (rows.rows === 0) {
        return { labels: new Int32Array(0), confidence: new Float64Array(0), map: new Float64Array(0), neighbours: { k, indices: new Int32Array(0), distances: new Float64Array(0) } };
      }
      const leaves = forest.apply(rows);
      const graph = index.query(leaves, rows.rows, k);
      const vote = voteLabels(graph, labels);
      const map = averageNeighbourRows(graph, mapM).data;
      return { labels: vote.labels, confidence: vote.voteShare, map, neighbours: { k, indices: graph.indices, distances: graph.distances } };
    },
  };
}
