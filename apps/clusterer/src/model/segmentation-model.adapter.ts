/**
 * The one place the clusterer touches libs/ml. Everything else codes against the small contract below.
 *
 * Engine: libs/ml's segmentation pipeline (random forest with revenue as target → leaf-space kNN graph → UMAP →
 * Gaussian mixture, k by silhouette), fitted in a worker thread (`fitSegmentationInWorker`); customers outside the
 * fit are placed by a similarity-weighted vote of their nearest fitted customers in leaf space (`model.assign`).
 * Map coordinates for the dashboard: the first two principal components of the fitted customers' UMAP embedding;
 * an assigned customer sits at the similarity-weighted mean of its voting neighbours' coordinates.
 * Confidence: the mixture's posterior of the chosen component (fitted customers) or the vote share (assigned ones).
 */
import {
  averageNeighbourRows,
  fitSegmentationInWorker,
  matrix,
  pca,
  pcaTransform,
  SegmentationModel,
  takeRows,
  type Matrix,
  type SegmentationModelJSON,
} from '@insiders/ml';

export interface SegmentationFitOptions {
  seed: number;
  kMin: number;
  kMax: number;
  trees: number;
  minSamplesLeaf: number;
  embeddingDims: number;
  neighbours: number;
  /** Fit on a seeded sample of at most this many rows; the rest are assigned. */
  maxFitRows: number;
}

export interface SegmentationFit {
  /** Cluster 0..k-1 of every input row. */
  labels: Int32Array;
  /** Posterior (fitted rows) or vote share (assigned rows) of the chosen cluster, per input row. */
  confidence: Float64Array;
  /** 2-D map coordinates per input row, row-major n x 2. */
  map: Float64Array;
  /** Input rows the model was fitted on (ascending). */
  fittedRows: Int32Array;
  k: number;
  silhouette: number;
  curve: { k: number; silhouette: number | null; bic: number | null }[];
  timings: Record<string, number>;
  /** Serialised model. */
  artifact: string;
  engine: string;
}

export interface SegmentationAssignment {
  labels: Int32Array;
  confidence: Float64Array;
  /** Row-major m x 2. */
  map: Float64Array;
  /** Nearest fitted rows (indices into the fitted rows) and their leaf-space distances, m x k row-major. */
  neighbours: { k: number; indices: Int32Array; distances: Float64Array };
}

export interface SegmentationModelHandle {
  readonly engine: string;
  readonly trainingSize: number;
  assign(rows: Matrix): SegmentationAssignment;
}

const ENGINE = 'ml-segmentation/1';

interface Artifact {
  engine: typeof ENGINE;
  model: SegmentationModelJSON;
  /** Fitted rows' 2-D map coordinates (base64 Float64, nFitted x 2). */
  map: string;
}

const b64 = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
function fromB64(s: string): Float64Array {
  const buf = Buffer.from(s, 'base64');
  const out = new Float64Array(buf.byteLength / 8);
  new Uint8Array(out.buffer).set(buf);
  return out;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

type TypedArrayCtor = new (a: ArrayLike<number>) => ArrayBufferView;

/**
 * Deep copy in which every typed array is rebuilt by this realm's constructor. Typed arrays that arrive from a worker
 * thread belong to Node's main realm; under jest (a vm context) `instanceof Float64Array` is then false and libs/ml's
 * array codec would encode them as bytes. Cheap (linear copy) and harmless outside jest.
 */
function reRealm<T>(value: T): T {
  if (ArrayBuffer.isView(value)) {
    const ctor = (globalThis as unknown as Record<string, TypedArrayCtor>)[value.constructor.name];
    return (ctor ? new ctor(value as unknown as ArrayLike<number>) : value) as T;
  }
  if (Array.isArray(value)) return value.map(reRealm) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reRealm(v)])) as T;
  return value;
}

/** Fits in a worker thread (the caller's event loop stays free); post-processing here is linear in the rows. */
export async function fitSegmentation(features: Matrix, target: Float64Array, options: SegmentationFitOptions): Promise<SegmentationFit> {
  const fit = await fitSegmentationInWorker(features, target, {
    seed: options.seed,
    forest: { nTrees: options.trees, minSamplesLeaf: options.minSamplesLeaf },
    umap: { nComponents: options.embeddingDims },
    gmm: { kMin: options.kMin, kMax: options.kMax },
    fitSampleSize: options.maxFitRows,
    assign: { k: options.neighbours },
  });
  const started = performance.now();
  const model = SegmentationModel.fromTransfer(reRealm(fit.model.toTransfer()));
  const emb = model.embedding;
  const axes = pca(emb, 2);
  const fittedMap = pcaTransform(axes, emb);
  const fittedMapM = matrix(model.nFitted, 2, fittedMap);
  const proba = model.gmm.predictProba(emb);

  const n = features.rows;
  const confidence = new Float64Array(n);
  const map = new Float64Array(n * 2);
  const isFitted = new Uint8Array(n);
  fit.fittedRows.forEach((row, j) => {
    isFitted[row] = 1;
    confidence[row] = proba.data[j * proba.cols + model.labels[j]!]!;
    map[row * 2] = fittedMap[j * 2]!;
    map[row * 2 + 1] = fittedMap[j * 2 + 1]!;
  });
  if (fit.fittedRows.length < n) {
    const rest = Int32Array.from({ length: n }, (_, i) => i).filter((i) => !isFitted[i]);
    const a = model.assign(takeRows(features, rest));
    const m = averageNeighbourRows({ n: rest.length, k: a.k, indices: a.neighbours, distances: a.distances }, fittedMapM);
    rest.forEach((row, q) => {
      confidence[row] = a.voteShare[q]!;
      map[row * 2] = m.data[q * 2]!;
      map[row * 2 + 1] = m.data[q * 2 + 1]!;
    });
  }
  const artifact: Artifact = { engine: ENGINE, model: model.toJSON(), map: b64(fittedMap) };
  const json = JSON.stringify(artifact);
  const timings: Record<string, number> = { ...fit.timings, postprocess: Math.round(performance.now() - started) };
  for (const key of Object.keys(timings)) timings[key] = Math.round(timings[key]!);
  return {
    labels: fit.labels,
    confidence,
    map,
    fittedRows: fit.fittedRows,
    k: fit.k,
    silhouette: fit.silhouette,
    curve: fit.curve.map((p) => ({ k: p.k, silhouette: finiteOrNull(p.silhouette), bic: finiteOrNull(p.bic) })),
    timings,
    artifact: json,
    engine: ENGINE,
  };
}

export function loadSegmentationModel(artifactJson: string): SegmentationModelHandle {
  const a = JSON.parse(artifactJson) as Artifact;
  if (a.engine !== ENGINE) throw new Error(`unknown segmentation engine "${String(a.engine)}"`);
  const model = SegmentationModel.fromJSON(a.model);
  const mapM = matrix(model.nFitted, 2, fromB64(a.map));
  return {
    engine: ENGINE,
    trainingSize: model.nFitted,
    assign(rows: Matrix): SegmentationAssignment {
      if (rows.rows === 0) {
        return { labels: new Int32Array(0), confidence: new Float64Array(0), map: new Float64Array(0), neighbours: { k: 0, indices: new Int32Array(0), distances: new Float64Array(0) } };
      }
      const r = model.assign(rows);
      const map = averageNeighbourRows({ n: rows.rows, k: r.k, indices: r.neighbours, distances: r.distances }, mapM).data;
      return { labels: r.labels, confidence: r.voteShare, map, neighbours: { k: r.k, indices: r.neighbours, distances: r.distances } };
    },
  };
}
