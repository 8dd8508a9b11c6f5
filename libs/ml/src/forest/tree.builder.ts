/**
 * Regression-tree growing on presorted typed arrays (CART, mean-squared-error criterion, sklearn semantics).
 *
 * Data are column-major (`cols[f * n + i]`), each feature is argsorted once for the whole forest (`presorted`), and a
 * tree keeps, per feature, its in-bag sample indices in sorted order. A node is one [start, end) range that is the same
 * in every feature's segment; splitting a node stably partitions each segment into left | right. No sorting per node.
 *
 * This module is pure and self-contained (relative imports only) so that it also runs inside worker threads.
 */
import { Random } from '../core/random';

/** Differences in feature values at or below this are treated as equal (sklearn's FEATURE_THRESHOLD). */
const FEATURE_THRESHOLD = 1e-7;

export interface TreeParams {
  /** Features examined per split (already resolved to a count in 1..p). */
  readonly maxFeatures: number;
  readonly minSamplesLeaf: number;
  readonly minSamplesSplit: number;
  /** Root has depth 0; a node at depth >= maxDepth is a leaf. */
  readonly maxDepth: number;
  readonly bootstrap: boolean;
}

/** The data shared by all trees of a forest (read-only; may live in SharedArrayBuffers). */
export interface TreeData {
  readonly n: number;
  readonly p: number;
  /** p*n, column-major feature values. */
  readonly cols: Float64Array;
  readonly y: Float64Array;
  /** p*n, per feature the sample indices in ascending value order (ties by index). */
  readonly presorted: Int32Array;
}

/**
 * One fitted tree, nodes in depth-first pre-order (root 0, left subtree before right).
 * Split node: feature >= 0, x[feature] <= threshold goes to `left`, else `right`.
 * Leaf: feature = -1, `left` = the leaf's index within the tree (0..nLeaves-1), `right` = -1.
 */
export interface TreeArrays {
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly left: Int32Array;
  readonly right: Int32Array;
  /** Prediction (weighted mean of the target) of every node. */
  readonly value: Float64Array;
  readonly nLeaves: number;
  /** Per feature, total weighted impurity decrease (unnormalised MDI). */
  readonly importance: Float64Array;
}

/** Sorts each column once: indices in ascending value order, ties by ascending index. */
export function presort(cols: Float64Array, n: number, p: number): Int32Array {
  const out = new Int32Array(p * n);
  const idx = new Int32Array(n);
  for (let f = 0; f < p; f++) {
    const base = f * n;
    for (let i = 0; i < n; i++) idx[i] = i;
    idx.sort((a, b) => cols[base + a]! - cols[base + b]! || a - b);
    out.set(idx, base);
  }
  return out;
}

export function growTree(data: TreeData, params: TreeParams, seed: number): TreeArrays {
  const { n, p, cols, y, presorted } = data;
  const rng = new Random(seed);
  const msl = Math.max(1, params.minSamplesLeaf);
  const mss = Math.max(2, params.minSamplesSplit, 2 * msl);
  const maxDepth = params.maxDepth;
  const maxFeatures = Math.min(p, Math.max(1, params.maxFeatures));

  // bootstrap weights (multiplicity of each sample); out-of-bag samples have weight 0 and take no part
  const w = new Float64Array(n);
  if (params.bootstrap) for (let k = 0; k < n; k++) w[rng.int(n)]! += 1;
  else w.fill(1);
  let m = 0;
  for (let i = 0; i < n; i++) if (w[i]! > 0) m++;

  const order = new Int32Array(p * m);
  for (let f = 0; f < p; f++) {
    let pos = f * m;
    const base = f * n;
    for (let j = 0; j < n; j++) {
      const i = presorted[base + j]!;
      if (w[i]! > 0) order[pos++] = i;
    }
  }

  const maxNodes = Math.max(1, 2 * m - 1);
  const feature = new Int32Array(maxNodes);
  const threshold = new Float64Array(maxNodes);
  const left = new Int32Array(maxNodes);
  const right = new Int32Array(maxNodes);
  const value = new Float64Array(maxNodes);
  const importance = new Float64Array(p);
  const goLeft = new Uint8Array(n);
  const tmp = new Int32Array(m);
  const feats = new Int32Array(p);
  for (let f = 0; f < p; f++) feats[f] = f;

  // explicit stack: start, end, depth, parent, side (0 left / 1 right), feature whose segment is valid for the node
  const stack = new Int32Array(6 * (2 * m + 2));
  let sp = 0;
  stack[sp++] = 0;
  stack[sp++] = m;
  stack[sp++] = 0;
  stack[sp++] = -1;
  stack[sp++] = 0;
  stack[sp++] = 0;
  let nodeCount = 0;
  let nLeaves = 0;

  while (sp > 0) {
    sp -= 6;
    const start = stack[sp]!;
    const end = stack[sp + 1]!;
    const depth = stack[sp + 2]!;
    const parent = stack[sp + 3]!;
    const side = stack[sp + 4]!;
    const segF = stack[sp + 5]!;
    const node = nodeCount++;
    if (parent >= 0) {
      if (side === 0) left[parent] = node;
      else right[parent] = node;
    }

    // node statistics
    let wt = 0;
    let syt = 0;
    let ymin = Infinity;
    let ymax = -Infinity;
    const seg = segF * m;
    for (let j = start; j < end; j++) {
      const i = order[seg + j]!;
      const wi = w[i]!;
      const yi = y[i]!;
      wt += wi;
      syt += wi * yi;
      if (yi < ymin) ymin = yi;
      if (yi > ymax) ymax = yi;
    }
    value[node] = syt / wt;
    const cnt = end - start;

    let bestF = -1;
    let bestPos = -1;
    let bestThr = 0;
    let bestProxy = -Infinity;
    if (cnt >= mss && depth < maxDepth && ymax > ymin) {
      const parentProxy = (syt * syt) / wt;
      // features in a random order; constant ones do not count towards maxFeatures (as in sklearn)
      let visited = 0;
      for (let d = 0; d < p && visited < maxFeatures; d++) {
        const r = d + rng.int(p - d);
        const f = feats[r]!;
        feats[r] = feats[d]!;
        feats[d] = f;
        const fo = f * m;
        const fc = f * n;
        if (cols[fc + order[fo + end - 1]!]! <= cols[fc + order[fo + start]!]! + FEATURE_THRESHOLD) continue;
        visited++;
        let wl = 0;
        let syl = 0;
        const lastPos = end - msl; // left may hold at most cnt - msl samples
        for (let j = start; j < lastPos; j++) {
          const i = order[fo + j]!;
          const wi = w[i]!;
          wl += wi;
          syl += wi * y[i]!;
          if (j + 1 - start < msl) continue;
          const xi = cols[fc + i]!;
          const xn = cols[fc + order[fo + j + 1]!]!;
          if (xn <= xi + FEATURE_THRESHOLD) continue;
          const wr = wt - wl;
          const syr = syt - syl;
          const proxy = (syl * syl) / wl + (syr * syr) / wr;
          if (proxy > bestProxy) {
            bestProxy = proxy;
            bestF = f;
            bestPos = j + 1;
            let thr = xi / 2 + xn / 2;
            if (thr === xn || !Number.isFinite(thr)) thr = xi;
            bestThr = thr;
          }
        }
      }
      if (bestF >= 0) importance[bestF]! += Math.max(0, bestProxy - parentProxy);
    }

    if (bestF < 0) {
      feature[node] = -1;
      left[node] = nLeaves++;
      right[node] = -1;
      continue;
    }

    feature[node] = bestF;
    threshold[node] = bestThr;
    const nl = bestPos - start;
    const nr = end - bestPos;
    const leftMaySplit = nl >= mss && depth + 1 < maxDepth;
    const rightMaySplit = nr >= mss && depth + 1 < maxDepth;
    let childSeg = bestF;
    if (leftMaySplit || rightMaySplit) {
      const bo = bestF * m;
      for (let j = start; j < bestPos; j++) goLeft[order[bo + j]!] = 1;
      for (let j = bestPos; j < end; j++) goLeft[order[bo + j]!] = 0;
      for (let g = 0; g < p; g++) {
        if (g === bestF) continue;
        const go = g * m;
        let li = go + start;
        let ri = 0;
        for (let j = start; j < end; j++) {
          const i = order[go + j]!;
          if (goLeft[i] === 1) order[li++] = i;
          else tmp[ri++] = i;
        }
        order.set(tmp.subarray(0, ri), li);
      }
      childSeg = 0;
    }
    // right pushed first so that the left subtree is numbered first (pre-order)
    stack[sp++] = bestPos;
    stack[sp++] = end;
    stack[sp++] = depth + 1;
    stack[sp++] = node;
    stack[sp++] = 1;
    stack[sp++] = childSeg;
    stack[sp++] = start;
    stack[sp++] = bestPos;
    stack[sp++] = depth + 1;
    stack[sp++] = node;
    stack[sp++] = 0;
    stack[sp++] = childSeg;
  }

  return {
    feature: feature.slice(0, nodeCount),
    threshold: threshold.slice(0, nodeCount),
    left: left.slice(0, nodeCount),
    right: right.slice(0, nodeCount),
    value: value.slice(0, nodeCount),
    nLeaves,
    importance,
  };
}

/**
 * The leaf index (0..nLeaves-1) each of the data's n rows reaches in `tree`, written to out[i * stride + offset]
 * (e.g. column t of a row-major n x nTrees leaf matrix). Same comparisons as RandomForestRegressor.apply.
 */
export function applyTree(tree: TreeArrays, data: TreeData, out: Int32Array, stride: number, offset: number): void {
  const { n, cols } = data;
  const { feature, threshold, left, right } = tree;
  for (let i = 0; i < n; i++) {
    let node = 0;
    let f = feature[0]!;
    while (f >= 0) {
      node = cols[f * n + i]! <= threshold[node]! ? left[node]! : right[node]!;
      f = feature[node]!;
    }
    out[i * stride + offset] = left[node]!;
  }
}

/** Grows the trees of the given seeds (trees firstTree, firstTree + 1, ...) and, when `leaves` (n x nTrees) is given, fills their columns. */
export function growTrees(data: TreeData, params: TreeParams, seeds: readonly number[], firstTree: number, leaves: Int32Array | null, nTrees: number): TreeArrays[] {
  return seeds.map((seed, i) => {
    const tree = growTree(data, params, seed);
    if (leaves) applyTree(tree, data, leaves, nTrees, firstTree + i);
    return tree;
  });
}
