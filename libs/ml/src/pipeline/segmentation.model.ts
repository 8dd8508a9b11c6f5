import { KnnGraph } from '../core/knn';
import { InvalidInputError, Matrix, assertFinite, matrix, takeRows } from '../core/matrix';
import { sampleIndices } from '../core/random';
import { LeafIndex, LeafIndexArrays } from '../embedding/leaf-index';
import { RandomForestArrays, RandomForestJSON, RandomForestRegressor } from '../forest/random-forest.model';
import { EncodedArray, decodeFloat64, decodeInt32, encodeArray } from '../forest/typed-array.codec';
import { GaussianMixture, GaussianMixtureJson } from '../gmm/gaussian-mixture';
import { VoteWeighting, agreement, averageNeighbourRows, voteLabels } from '../assign/neighbour-vote';
import { ResolvedSegmentationOptions } from './segmentation.options';
import { LeafKnnTask, concatGraphs, leafKnnChunk, shareLeafIndex } from './leaf-knn.task';
import { MlWorkerPool, shareWork } from '../worker/ml-pool';

/** One point of the model-selection curve. */
export interface KCurvePoint {
  readonly k: number;
  /** Mean silhouette of the GMM labels in the embedding (NaN when the fit failed or produced a single cluster). */
  readonly silhouette: number;
  readonly bic: number;
  /** Components that received at least one customer. */
  readonly nonEmpty: number;
  readonly ms: number;
}

export interface Assignment {
  readonly labels: Int32Array;
  /** Share of the (similarity-weighted) vote won by the label. */
  readonly voteShare: Float64Array;
  /** m x k fitted-row indices of the neighbours that voted, nearest first. */
  readonly neighbours: Int32Array;
  /** m x k leaf-space distances (1 - shared leaves / trees). */
  readonly distances: Float64Array;
  readonly k: number;
  /** Neighbour ids (when the model was fitted with ids), m x k. */
  readonly neighbourIds?: string[];
}

export interface AssignmentEvaluation {
  /** Rows evaluated (fitted rows, each placed as if new: itself excluded from its neighbours). */
  readonly rows: number;
  /** Fraction of those rows given their fitted label by each method. */
  readonly agreement: {
    readonly leafVoteSimilarity: number;
    readonly leafVoteUniform: number;
    readonly nearestNeighbour: number;
    /** Mean of the neighbours' embedding coordinates, then the GMM's most probable component. */
    readonly embeddingAverageGmm: number;
  };
  readonly meanVoteShare: number;
}

export interface SegmentationModelJSON {
  readonly kind: 'segmentation-model';
  readonly version: 1;
  readonly options: ResolvedSegmentationOptions;
  /**
   * The trees, or null when the document was written with `forest: 'refit'`: then the forest is grown again on load
   * from the fitted rows, their target and `forestOptions` (seeded, so identical), keeping the document small.
   */
  readonly forest: RandomForestJSON | null;
  readonly forestOptions: RandomForestJSON['options'];
  readonly nFeatures: number;
  readonly nFitted: number;
  /** Fitted rows' features (their leaves are recomputed on load). */
  readonly features: EncodedArray;
  /** Fitted rows' target (for the refit). */
  readonly target: EncodedArray;
  readonly labels: EncodedArray;
  readonly embeddingDims: number;
  readonly embedding: EncodedArray;
  readonly gmm: GaussianMixtureJson;
  readonly k: number;
  readonly silhouette: number;
  readonly curve: KCurvePoint[];
  readonly ids: string[] | null;
}

const ASSIGN_CHUNK = 20_000;

/**
 * A fitted segmentation: random forest, the fitted customers (features, leaves, labels, embedding) and the chosen
 * Gaussian mixture. New or changed customers are placed without refitting by `assign`.
 */
export class SegmentationModel {
  private leafIndexCache: LeafIndex | null = null;

  constructor(
    readonly options: ResolvedSegmentationOptions,
    readonly forest: RandomForestRegressor,
    /** Features of the fitted rows. */
    readonly fittedFeatures: Matrix,
    /** Target of the fitted rows. */
    readonly fittedTarget: Float64Array,
    /** Segment (GMM component) of every fitted row. */
    readonly labels: Int32Array,
    readonly embedding: Matrix,
    readonly gmm: GaussianMixture,
    readonly k: number,
    readonly silhouette: number,
    readonly curve: readonly KCurvePoint[],
    readonly ids: readonly string[] | null,
    leafIndex?: LeafIndex,
  ) {
    if (ids && ids.length !== fittedFeatures.rows) throw new InvalidInputError(`segmentation model: ${ids.length} ids for ${fittedFeatures.rows} rows`);
    if (fittedTarget.length !== fittedFeatures.rows || labels.length !== fittedFeatures.rows || embedding.rows !== fittedFeatures.rows) {
      throw new InvalidInputError(`segmentation model: target, labels and embedding must have ${fittedFeatures.rows} rows`);
    }
    this.leafIndexCache = leafIndex ?? null;
  }

  get nFitted(): number {
    return this.fittedFeatures.rows;
  }

  /** Inverted leaf index of the fitted rows (built on first use after loading). */
  get leafIndex(): LeafIndex {
    if (!this.leafIndexCache) {
      const leaves = this.forest.apply(this.fittedFeatures);
      this.leafIndexCache = LeafIndex.build({ n: this.nFitted, nTrees: this.forest.nTrees, leaves, leafCounts: this.forest.leafCounts });
    }
    return this.leafIndexCache;
  }

  /** Leaf-space neighbours among the fitted rows of every row of `rows` (in chunks, so memory stays bounded). */
  neighbours(rows: Matrix, k = this.options.assign.k, excludeFitted?: Int32Array): KnnGraph {
    if (rows.cols !== this.forest.nFeatures) throw new InvalidInputError(`segmentation: rows have ${rows.cols} features, the model ${this.forest.nFeatures}`);
    assertFinite(rows, 'segmentation input');
    const kk = Math.min(k, this.nFitted);
    const indices = new Int32Array(rows.rows * kk);
    const distances = new Float64Array(rows.rows * kk);
    const index = this.leafIndex;
    for (let s = 0; s < rows.rows; s += ASSIGN_CHUNK) {
      const e = Math.min(rows.rows, s + ASSIGN_CHUNK);
      const chunk = matrix(e - s, rows.cols, rows.data.subarray(s * rows.cols, e * rows.cols));
      const leaves = this.forest.apply(chunk);
      const g = index.query(leaves, e - s, kk, excludeFitted?.subarray(s, e));
      indices.set(g.indices, s * kk);
      distances.set(g.distances, s * kk);
    }
    return { n: rows.rows, k: kk, indices, distances };
  }

  /**
   * `neighbours` with the chunks shared between the calling thread and a worker pool (forest and leaf index go to
   * shared memory once). Same result as `neighbours`.
   */
  async neighboursAsync(rows: Matrix, pool: MlWorkerPool | null, k = this.options.assign.k, excludeFitted?: Int32Array): Promise<KnnGraph> {
    if (!pool || rows.rows <= ASSIGN_CHUNK) return this.neighbours(rows, k, excludeFitted);
    if (rows.cols !== this.forest.nFeatures) throw new InvalidInputError(`segmentation: rows have ${rows.cols} features, the model ${this.forest.nFeatures}`);
    assertFinite(rows, 'segmentation input');
    const kk = Math.min(k, this.nFitted);
    const forest = this.forest.share();
    const index = shareLeafIndex(this.leafIndex.toArrays());
    const localIndex = LeafIndex.fromArrays(index);
    const starts: number[] = [];
    for (let s = 0; s < rows.rows; s += ASSIGN_CHUNK) starts.push(s);
    const task = (s: number): LeafKnnTask => {
      const e = Math.min(rows.rows, s + ASSIGN_CHUNK);
      return { forest: forest.toArrays(), index, rows: rows.data.slice(s * rows.cols, e * rows.cols), cols: rows.cols, k: kk, exclude: excludeFitted?.slice(s, e) ?? null };
    };
    const parts = await shareWork<number, KnnGraph>(
      starts,
      (s) => leafKnnChunk(task(s), forest, localIndex),
      (s) => pool.run<KnnGraph>({ kind: 'leaf-knn', ...task(s) }),
      pool,
    );
    return concatGraphs(parts, starts, rows.rows, kk);
  }

  /** `assign` with the work shared with a worker pool (see neighboursAsync). */
  async assignAsync(rows: Matrix, pool: MlWorkerPool | null, opts: { k?: number; weighting?: VoteWeighting; exclude?: Int32Array } = {}): Promise<Assignment> {
    if (opts.exclude && opts.exclude.length !== rows.rows) throw new InvalidInputError(`segmentation: ${opts.exclude.length} exclusions for ${rows.rows} rows`);
    return this.toAssignment(await this.neighboursAsync(rows, pool, opts.k ?? this.options.assign.k, opts.exclude), opts.weighting);
  }

  /**
   * Places customers that were not in the fit, or whose features changed since: forest -> leaf ids -> nearest fitted
   * customers in leaf space -> similarity-weighted vote of their segments. `exclude[q]` (a fitted row index, or -1)
   * keeps a changed customer's own stale fitted row out of its neighbours.
   */
  assign(rows: Matrix, opts: { k?: number; weighting?: VoteWeighting; exclude?: Int32Array } = {}): Assignment {
    if (opts.exclude && opts.exclude.length !== rows.rows) throw new InvalidInputError(`segmentation: ${opts.exclude.length} exclusions for ${rows.rows} rows`);
    return this.toAssignment(this.neighbours(rows, opts.k ?? this.options.assign.k, opts.exclude), opts.weighting);
  }

  private toAssignment(g: KnnGraph, weighting?: VoteWeighting): Assignment {
    const vote = voteLabels(g, this.labels, weighting ?? this.options.assign.weighting);
    const ids = this.ids;
    return {
      labels: vote.labels,
      voteShare: vote.voteShare,
      neighbours: g.indices,
      distances: g.distances,
      k: g.k,
      ...(ids ? { neighbourIds: Array.from(g.indices, (j) => (j >= 0 ? ids[j]! : '')) } : {}),
    };
  }

  /**
   * Agreement of assignment methods with the fitted labels on a seeded sample of fitted rows, each placed as if new
   * (itself excluded from the neighbours).
   */
  evaluateAssignment(sampleSize = 2000, seed = 0): AssignmentEvaluation {
    const n = this.nFitted;
    const m = Math.min(n, sampleSize);
    const chosen = sampleIndices(n, m, seed);
    const rows = takeRows(this.fittedFeatures, chosen);
    const truth = Int32Array.from(chosen, (i) => this.labels[i]!);
    const g = this.neighbours(rows, this.options.assign.k, chosen);
    const sim = voteLabels(g, this.labels, 'similarity');
    const uni = voteLabels(g, this.labels, 'uniform');
    const nn = Int32Array.from({ length: m }, (_, q) => this.labels[g.indices[q * g.k]!]!);
    const avg = this.gmm.predict(averageNeighbourRows(g, this.embedding, 'similarity'));
    let share = 0;
    for (let q = 0; q < m; q++) share += sim.voteShare[q]!;
    return {
      rows: m,
      agreement: {
        leafVoteSimilarity: agreement(sim.labels, truth),
        leafVoteUniform: agreement(uni.labels, truth),
        nearestNeighbour: agreement(nn, truth),
        embeddingAverageGmm: agreement(avg, truth),
      },
      meanVoteShare: m ? share / m : 0,
    };
  }

  /**
   * A JSON document. `forest: 'refit'` (default) leaves the trees out and regrows them on load (deterministic; about
   * 1.5 s at 4.4k customers), since 300 fully grown trees take ~20 bytes per node (~35 MB at 4.4k, ~400 MB at 50k);
   * 'include' embeds them (base64) for instant loading.
   */
  toJSON(options: { forest?: 'include' | 'refit' } = {}): SegmentationModelJSON {
    const forest = this.forest.toArrays();
    return {
      kind: 'segmentation-model',
      version: 1,
      options: this.options,
      forest: options.forest === 'include' ? this.forest.toJSON() : null,
      forestOptions: forest.options,
      nFeatures: this.fittedFeatures.cols,
      nFitted: this.nFitted,
      features: encodeArray(this.fittedFeatures.data),
      target: encodeArray(this.fittedTarget),
      labels: encodeArray(this.labels),
      embeddingDims: this.embedding.cols,
      embedding: encodeArray(this.embedding.data),
      gmm: this.gmm.toJSON(),
      k: this.k,
      silhouette: this.silhouette,
      curve: [...this.curve],
      ids: this.ids ? [...this.ids] : null,
    };
  }

  static fromJSON(json: SegmentationModelJSON): SegmentationModel {
    if (json?.kind !== 'segmentation-model' || json.version !== 1) throw new InvalidInputError('not a serialised segmentation-model (version 1)');
    const features = matrix(json.nFitted, json.nFeatures, decodeFloat64(json.features));
    const target = decodeFloat64(json.target);
    const forest = json.forest
      ? RandomForestRegressor.fromJSON(json.forest)
      : RandomForestRegressor.fit(features, target, { ...json.forestOptions, maxDepth: json.forestOptions.maxDepth ?? undefined });
    // JSON turns NaN into null: restore it in the curve
    const curve = json.curve.map((p) => ({ ...p, silhouette: p.silhouette ?? NaN, bic: p.bic ?? NaN }));
    return new SegmentationModel(
      json.options,
      forest,
      features,
      target,
      decodeInt32(json.labels),
      matrix(json.nFitted, json.embeddingDims, decodeFloat64(json.embedding)),
      GaussianMixture.fromJSON(json.gmm),
      json.k,
      json.silhouette,
      curve,
      json.ids,
    );
  }

  /** Plain typed arrays for handing the model to another thread (structured clone, no encoding, no refit). */
  toTransfer(): SegmentationModelTransfer {
    return {
      options: this.options,
      forest: this.forest.toArrays(),
      rows: this.nFitted,
      features: this.fittedFeatures.data,
      target: this.fittedTarget,
      labels: this.labels,
      embeddingDims: this.embedding.cols,
      embedding: this.embedding.data,
      gmm: this.gmm.toJSON(),
      k: this.k,
      silhouette: this.silhouette,
      curve: [...this.curve],
      ids: this.ids ? [...this.ids] : null,
      leafIndex: this.leafIndexCache?.toArrays() ?? null,
    };
  }

  static fromTransfer(t: SegmentationModelTransfer): SegmentationModel {
    const features = matrix(t.rows, t.features.length / t.rows, t.features);
    return new SegmentationModel(
      t.options,
      RandomForestRegressor.fromArrays(t.forest),
      features,
      t.target,
      t.labels,
      matrix(t.rows, t.embeddingDims, t.embedding),
      GaussianMixture.fromJSON(t.gmm),
      t.k,
      t.silhouette,
      t.curve,
      t.ids,
      t.leafIndex ? LeafIndex.fromArrays(t.leafIndex) : undefined,
    );
  }
}

export interface SegmentationModelTransfer {
  readonly options: ResolvedSegmentationOptions;
  readonly forest: RandomForestArrays;
  readonly rows: number;
  readonly features: Float64Array;
  readonly target: Float64Array;
  readonly labels: Int32Array;
  readonly embeddingDims: number;
  readonly embedding: Float64Array;
  readonly gmm: GaussianMixtureJson;
  readonly k: number;
  readonly silhouette: number;
  readonly curve: KCurvePoint[];
  readonly ids: string[] | null;
  /** The fitted rows' inverted leaf index, so that the receiver need not rebuild it. */
  readonly leafIndex: LeafIndexArrays | null;
}
