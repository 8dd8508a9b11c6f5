import { InvalidInputError, Matrix, assertFinite } from '../core/matrix';
import { Random } from '../core/random';
import { MlWorkerPool, shareWork } from '../worker/ml-pool';
import { isShared, shareFloat64, shareInt32 } from '../worker/ts-worker';
import { TreeArrays, TreeData, TreeParams, growTree, growTrees, presort } from './tree.builder';
import { EncodedArray, decodeFloat64, decodeInt32, encodeArray } from './typed-array.codec';

/**
 * Features examined per split: an integer >= 1 is a count, a number in (0, 1) a fraction of the features
 * (at least one), 'all' every feature (sklearn's RandomForestRegressor default, max_features=1.0), 'sqrt' / 'log2'.
 */
export type MaxFeatures = number | 'all' | 'sqrt' | 'log2';

export interface RandomForestOptions {
  /** Number of trees (default 100). */
  nTrees?: number;
  maxFeatures?: MaxFeatures;
  /** Minimum number of (distinct in-bag) samples in a leaf (default 1). */
  minSamplesLeaf?: number;
  /** Minimum number of samples to split a node (default 2). */
  minSamplesSplit?: number;
  /** Maximum depth, root = 0 (default unlimited). */
  maxDepth?: number;
  /** Bootstrap sample per tree (default true). */
  bootstrap?: boolean;
  /** Seed (default 0). Tree t uses the t-th seed drawn from it, so results do not depend on the worker count. */
  seed?: number;
  /**
   * Worker threads for `fitAsync` (default 1 = in-thread). Threads pay off from a few hundred thousand
   * sample-trees upwards; each thread costs ~0.3-0.5 s to start under TypeScript.
   */
  workers?: number;
}

export interface RandomForestJSON {
  readonly kind: 'random-forest-regressor';
  readonly version: 1;
  readonly nFeatures: number;
  readonly nTrees: number;
  readonly options: Required<Omit<RandomForestOptions, 'workers' | 'maxDepth'>> & { maxDepth: number | null };
  readonly treeOffsets: EncodedArray;
  readonly leafCounts: EncodedArray;
  readonly feature: EncodedArray;
  readonly threshold: EncodedArray;
  readonly next: EncodedArray;
  readonly leafValue: EncodedArray;
  readonly featureImportances: EncodedArray;
}

interface ResolvedOptions {
  nTrees: number;
  maxFeatures: MaxFeatures;
  minSamplesLeaf: number;
  minSamplesSplit: number;
  maxDepth: number;
  bootstrap: boolean;
  seed: number;
  workers: number;
}

function resolveOptions(o: RandomForestOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    nTrees: o.nTrees ?? 100,
    maxFeatures: o.maxFeatures ?? 'all',
    minSamplesLeaf: o.minSamplesLeaf ?? 1,
    minSamplesSplit: o.minSamplesSplit ?? 2,
    maxDepth: o.maxDepth ?? Infinity,
    bootstrap: o.bootstrap ?? true,
    seed: o.seed ?? 0,
    workers: o.workers ?? 1,
  };
  const posInt = (v: number, name: string, min: number): void => {
    if (!Number.isInteger(v) || v < min) throw new InvalidInputError(`random forest: ${name} must be an integer >= ${min} (got ${v})`);
  };
  posInt(r.nTrees, 'nTrees', 1);
  posInt(r.minSamplesLeaf, 'minSamplesLeaf', 1);
  posInt(r.minSamplesSplit, 'minSamplesSplit', 2);
  posInt(r.workers, 'workers', 1);
  if (r.maxDepth !== Infinity) posInt(r.maxDepth, 'maxDepth', 0);
  if (!Number.isInteger(r.seed)) throw new InvalidInputError(`random forest: seed must be an integer (got ${r.seed})`);
  const mf = r.maxFeatures;
  if (typeof mf === 'number' && !(mf > 0 && (mf < 1 || Number.isInteger(mf)))) {
    throw new InvalidInputError(`random forest: maxFeatures must be an integer >= 1, a fraction in (0, 1), 'all', 'sqrt' or 'log2' (got ${mf})`);
  }
  return r;
}

export function resolveMaxFeatures(mf: MaxFeatures, p: number): number {
  if (mf === 'all') return p;
  if (mf === 'sqrt') return Math.max(1, Math.floor(Math.sqrt(p)));
  if (mf === 'log2') return Math.max(1, Math.floor(Math.log2(p)));
  if (mf < 1) return Math.max(1, Math.floor(mf * p));
  return Math.min(p, mf);
}

function checkTarget(y: Float64Array, n: number): void {
  if (y.length !== n) throw new InvalidInputError(`target has ${y.length} values, expected ${n} (one per row)`);
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(y[i]!)) throw new InvalidInputError(`target has a non-finite value (${y[i]}) at row ${i}`);
  }
}

/** Trees drawn per forest seed: tree t always gets the t-th draw. */
function treeSeeds(seed: number, nTrees: number): number[] {
  const rng = new Random(seed);
  return Array.from({ length: nTrees }, () => Math.floor(rng.next() * 4294967296) | 0);
}

function prepare(X: Matrix, y: Float64Array, shared: boolean): TreeData {
  if (X.rows < 1 || X.cols < 1) throw new InvalidInputError(`random forest: need at least one row and one column (got ${X.rows}x${X.cols})`);
  assertFinite(X, 'random forest features');
  checkTarget(y, X.rows);
  const n = X.rows;
  const p = X.cols;
  let cols: Float64Array = new Float64Array(n * p);
  for (let i = 0; i < n; i++) for (let f = 0; f < p; f++) cols[f * n + i] = X.data[i * p + f]!;
  let presorted: Int32Array = presort(cols, n, p);
  let yy: Float64Array = Float64Array.from(y);
  if (shared) {
    cols = shareFloat64(cols);
    presorted = shareInt32(presorted);
    yy = shareFloat64(yy);
  }
  return { n, p, cols, y: yy, presorted };
}

function treeParams(o: ResolvedOptions, p: number): TreeParams {
  return {
    maxFeatures: resolveMaxFeatures(o.maxFeatures, p),
    minSamplesLeaf: o.minSamplesLeaf,
    minSamplesSplit: o.minSamplesSplit,
    maxDepth: o.maxDepth === Infinity ? 0x7fffffff : o.maxDepth,
    bootstrap: o.bootstrap,
  };
}

/** Worker request for parallel tree growing (see ../worker/ml.worker.ts). */
export interface ForestWorkerRequest {
  readonly data: TreeData;
  readonly params: TreeParams;
  /** Seeds of trees firstTree, firstTree + 1, ... */
  readonly seeds: readonly number[];
  readonly firstTree: number;
  /** Shared n x nTrees leaf matrix of the training rows whose columns the worker fills, or null. */
  readonly leaves: Int32Array | null;
  readonly nTrees: number;
}

/** A fitted forest as plain typed arrays (for transfer between threads without encoding). */
export interface RandomForestArrays {
  readonly nFeatures: number;
  readonly nTrees: number;
  readonly options: RandomForestJSON['options'];
  readonly treeOffsets: Int32Array;
  readonly leafCounts: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly next: Int32Array;
  readonly leafValue: Float64Array;
  readonly featureImportances: Float64Array;
}

/**
 * Random forest regressor with sklearn semantics (bootstrap, max_features per split, min_samples_leaf, MSE criterion,
 * best split over midpoints between distinct sorted values) grown on presorted typed arrays, and `apply` giving the
 * leaf index of every sample in every tree.
 *
 * Storage (about 20 bytes per node): nodes of each tree in pre-order, so a split node's left child is the next node;
 * `next` holds the right child (tree-local index) of a split node and the leaf index of a leaf (feature = -1);
 * leaf predictions are kept per leaf only.
 */
export class RandomForestRegressor {
  /** First slot in leafValue of every tree. */
  private readonly leafOffsets: Int32Array;

  private constructor(
    readonly nFeatures: number,
    readonly nTrees: number,
    private readonly options: ResolvedOptions,
    /** nTrees+1 node offsets into the concatenated node arrays. */
    private readonly treeOffsets: Int32Array,
    /** Leaves per tree. */
    readonly leafCounts: Int32Array,
    private readonly feature: Int32Array,
    private readonly threshold: Float64Array,
    private readonly next: Int32Array,
    private readonly leafValue: Float64Array,
    /** Mean decrease in impurity per feature, normalised to sum 1 (0s when no tree split). */
    readonly featureImportances: Float64Array,
  ) {
    this.leafOffsets = new Int32Array(nTrees + 1);
    for (let t = 0; t < nTrees; t++) this.leafOffsets[t + 1] = this.leafOffsets[t]! + leafCounts[t]!;
    if (treeOffsets.length !== nTrees + 1 || treeOffsets[nTrees] !== feature.length || threshold.length !== feature.length || next.length !== feature.length) {
      throw new InvalidInputError('random forest: inconsistent node arrays');
    }
    if (this.leafOffsets[nTrees] !== leafValue.length) throw new InvalidInputError('random forest: inconsistent leaf arrays');
  }

  /** Fits in the calling thread. */
  static fit(X: Matrix, y: Float64Array, options: RandomForestOptions = {}): RandomForestRegressor {
    const o = resolveOptions(options);
    const data = prepare(X, y, false);
    const params = treeParams(o, data.p);
    const trees = treeSeeds(o.seed, o.nTrees).map((s) => growTree(data, params, s));
    return RandomForestRegressor.assemble(data.p, o, trees);
  }

  /**
   * Fits with the calling thread plus worker threads pulling chunks of trees from one queue: the given pool, or a
   * temporary one of `options.workers - 1` threads. Identical result to `fit` for the same seed.
   */
  static async fitAsync(X: Matrix, y: Float64Array, options: RandomForestOptions = {}, pool: MlWorkerPool | null = null): Promise<RandomForestRegressor> {
    return (await RandomForestRegressor.grow(X, y, options, pool, false)).forest;
  }

  /**
   * `fitAsync` that also returns the training rows' leaves (`apply(X)`, row-major n x nTrees), computed by the thread
   * that grew each tree while the tree is at hand.
   */
  static async fitAndApplyAsync(X: Matrix, y: Float64Array, options: RandomForestOptions = {}, pool: MlWorkerPool | null = null): Promise<{ forest: RandomForestRegressor; leaves: Int32Array }> {
    const r = await RandomForestRegressor.grow(X, y, options, pool, true);
    return { forest: r.forest, leaves: r.leaves! };
  }

  private static async grow(X: Matrix, y: Float64Array, options: RandomForestOptions, pool: MlWorkerPool | null, withLeaves: boolean): Promise<{ forest: RandomForestRegressor; leaves: Int32Array | null }> {
    const o = resolveOptions(options);
    const extra = pool ? pool.size : Math.min(o.workers, o.nTrees) - 1;
    const threaded = extra > 0;
    const data = prepare(X, y, threaded);
    const params = treeParams(o, data.p);
    const seeds = treeSeeds(o.seed, o.nTrees);
    const T = o.nTrees;
    const leaves = withLeaves ? new Int32Array(threaded ? new SharedArrayBuffer(4 * X.rows * T) : new ArrayBuffer(4 * X.rows * T)) : null;
    if (!threaded) return { forest: RandomForestRegressor.assemble(data.p, o, growTrees(data, params, seeds, 0, leaves, T)), leaves };
    const chunk = Math.max(1, Math.ceil(T / ((extra + 1) * 6)));
    const chunks: { first: number; seeds: number[] }[] = [];
    for (let s = 0; s < seeds.length; s += chunk) chunks.push({ first: s, seeds: seeds.slice(s, s + chunk) });
    const own = pool ?? new MlWorkerPool(extra);
    try {
      const grown = await shareWork<{ first: number; seeds: number[] }, TreeArrays[]>(
        chunks,
        (c) => growTrees(data, params, c.seeds, c.first, leaves, T),
        (c) => own.run<TreeArrays[]>({ kind: 'trees', data, params, seeds: c.seeds, firstTree: c.first, leaves, nTrees: T } satisfies ForestWorkerRequest & { kind: 'trees' }),
        own,
      );
      return { forest: RandomForestRegressor.assemble(data.p, o, grown.flat()), leaves };
    } finally {
      if (!pool) await own.close();
    }
  }

  private static assemble(p: number, o: ResolvedOptions, trees: readonly TreeArrays[]): RandomForestRegressor {
    const offsets = new Int32Array(trees.length + 1);
    trees.forEach((t, i) => (offsets[i + 1] = offsets[i]! + t.feature.length));
    const total = offsets[trees.length]!;
    const leafCounts = Int32Array.from(trees, (t) => t.nLeaves);
    const feature = new Int32Array(total);
    const threshold = new Float64Array(total);
    const next = new Int32Array(total);
    const leafValue = new Float64Array(leafCounts.reduce((a, b) => a + b, 0));
    const imp = new Float64Array(p);
    let leafAt = 0;
    trees.forEach((t, i) => {
      const at = offsets[i]!;
      feature.set(t.feature, at);
      threshold.set(t.threshold, at);
      for (let node = 0; node < t.feature.length; node++) {
        if (t.feature[node]! >= 0) {
          if (t.left[node] !== node + 1) throw new Error('random forest: tree nodes are not in pre-order');
          next[at + node] = t.right[node]!;
        } else {
          next[at + node] = t.left[node]!;
          leafValue[leafAt + t.left[node]!] = t.value[node]!;
        }
      }
      leafAt += t.nLeaves;
      let s = 0;
      for (let f = 0; f < p; f++) s += t.importance[f]!;
      if (s > 0) for (let f = 0; f < p; f++) imp[f]! += t.importance[f]! / s;
    });
    let s = 0;
    for (let f = 0; f < p; f++) s += imp[f]!;
    if (s > 0) for (let f = 0; f < p; f++) imp[f]! /= s;
    return new RandomForestRegressor(p, trees.length, o, offsets, leafCounts, feature, threshold, next, leafValue, imp);
  }

  private checkInput(X: Matrix): void {
    if (X.cols !== this.nFeatures) throw new InvalidInputError(`random forest: input has ${X.cols} columns, the forest was fitted on ${this.nFeatures}`);
    assertFinite(X, 'random forest input');
  }

  /** Calls visit(row, tree, leafIndex, treeLocalNode) for every row and tree (tree-outer, so a tree's nodes stay in cache). */
  private walk(X: Matrix, visit: (i: number, t: number, leaf: number, node: number) => void): void {
    const { feature, threshold, next, treeOffsets } = this;
    const n = X.rows;
    const p = X.cols;
    const data = X.data;
    for (let t = 0; t < this.nTrees; t++) {
      const off = treeOffsets[t]!;
      for (let i = 0; i < n; i++) {
        const base = i * p;
        let node = off;
        let f = feature[node]!;
        while (f >= 0) {
          node = data[base + f]! <= threshold[node]! ? node + 1 : off + next[node]!;
          f = feature[node]!;
        }
        visit(i, t, next[node]!, node - off);
      }
    }
  }

  /** Mean of the trees' predictions. */
  predict(X: Matrix): Float64Array {
    this.checkInput(X);
    const out = new Float64Array(X.rows);
    const { leafValue, leafOffsets } = this;
    this.walk(X, (i, t, leaf) => (out[i]! += leafValue[leafOffsets[t]! + leaf]!));
    for (let i = 0; i < X.rows; i++) out[i]! /= this.nTrees;
    return out;
  }

  /** Leaf index (0..leafCounts[t]-1) reached in every tree: row-major rows x nTrees. */
  apply(X: Matrix): Int32Array {
    this.checkInput(X);
    const T = this.nTrees;
    const out = new Int32Array(X.rows * T);
    this.walk(X, (i, t, leaf) => (out[i * T + t] = leaf));
    return out;
  }

  /**
   * Tree-local pre-order node index of the leaf reached in every tree (rows x nTrees): sklearn's `apply()`, which
   * the seed project fed to UMAP with the euclidean metric.
   */
  applyNodeIds(X: Matrix): Int32Array {
    this.checkInput(X);
    const T = this.nTrees;
    const out = new Int32Array(X.rows * T);
    this.walk(X, (i, t, _leaf, node) => (out[i * T + t] = node));
    return out;
  }

  /** Total number of nodes over all trees. */
  get nodeCount(): number {
    return this.treeOffsets[this.nTrees]!;
  }

  /** Bytes held by the node and leaf arrays. */
  get byteSize(): number {
    return this.feature.byteLength + this.threshold.byteLength + this.next.byteLength + this.leafValue.byteLength;
  }

  /** Structure of tree t (tree-local node indices, see the class comment), for inspection and tests. */
  tree(t: number): { feature: Int32Array; threshold: Float64Array; next: Int32Array; leafValue: Float64Array; nLeaves: number } {
    const a = this.treeOffsets[t]!;
    const b = this.treeOffsets[t + 1]!;
    return {
      feature: this.feature.subarray(a, b),
      threshold: this.threshold.subarray(a, b),
      next: this.next.subarray(a, b),
      leafValue: this.leafValue.subarray(this.leafOffsets[t]!, this.leafOffsets[t + 1]!),
      nLeaves: this.leafCounts[t]!,
    };
  }

  /** The same forest on SharedArrayBuffers, so that worker threads read it without copies. */
  share(): RandomForestRegressor {
    if (isShared(this.feature)) return this;
    return new RandomForestRegressor(
      this.nFeatures,
      this.nTrees,
      this.options,
      shareInt32(this.treeOffsets),
      shareInt32(this.leafCounts),
      shareInt32(this.feature),
      shareFloat64(this.threshold),
      shareInt32(this.next),
      shareFloat64(this.leafValue),
      this.featureImportances,
    );
  }

  toArrays(): RandomForestArrays {
    const o = this.options;
    return {
      nFeatures: this.nFeatures,
      nTrees: this.nTrees,
      options: {
        nTrees: o.nTrees,
        maxFeatures: o.maxFeatures,
        minSamplesLeaf: o.minSamplesLeaf,
        minSamplesSplit: o.minSamplesSplit,
        maxDepth: o.maxDepth === Infinity ? null : o.maxDepth,
        bootstrap: o.bootstrap,
        seed: o.seed,
      },
      treeOffsets: this.treeOffsets,
      leafCounts: this.leafCounts,
      feature: this.feature,
      threshold: this.threshold,
      next: this.next,
      leafValue: this.leafValue,
      featureImportances: this.featureImportances,
    };
  }

  static fromArrays(a: RandomForestArrays): RandomForestRegressor {
    const o = resolveOptions({ ...a.options, maxDepth: a.options.maxDepth ?? undefined });
    return new RandomForestRegressor(a.nFeatures, a.nTrees, o, a.treeOffsets, a.leafCounts, a.feature, a.threshold, a.next, a.leafValue, a.featureImportances);
  }

  toJSON(): RandomForestJSON {
    const a = this.toArrays();
    return {
      kind: 'random-forest-regressor',
      version: 1,
      nFeatures: a.nFeatures,
      nTrees: a.nTrees,
      options: a.options,
      treeOffsets: encodeArray(a.treeOffsets),
      leafCounts: encodeArray(a.leafCounts),
      feature: encodeArray(a.feature),
      threshold: encodeArray(a.threshold),
      next: encodeArray(a.next),
      leafValue: encodeArray(a.leafValue),
      featureImportances: encodeArray(a.featureImportances),
    };
  }

  static fromJSON(json: RandomForestJSON): RandomForestRegressor {
    if (json?.kind !== 'random-forest-regressor' || json.version !== 1) throw new InvalidInputError('not a serialised random-forest-regressor (version 1)');
    return RandomForestRegressor.fromArrays({
      nFeatures: json.nFeatures,
      nTrees: json.nTrees,
      options: json.options,
      treeOffsets: decodeInt32(json.treeOffsets),
      leafCounts: decodeInt32(json.leafCounts),
      feature: decodeInt32(json.feature),
      threshold: decodeFloat64(json.threshold),
      next: decodeInt32(json.next),
      leafValue: decodeFloat64(json.leafValue),
      featureImportances: decodeFloat64(json.featureImportances),
    });
  }
}
