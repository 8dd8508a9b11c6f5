import { KnnGraph } from '../core/knn';
import { InvalidInputError, Matrix } from '../core/matrix';
import { Random } from '../core/random';
import { NeighborHeaps } from './neighbor-heap';

function sqDist(data: Float64Array, a: number, b: number, d: number): number {
  const ao = a * d;
  const bo = b * d;
  let s = 0;
  for (let t = 0; t < d; t++) {
    const v = data[ao + t]! - data[bo + t]!;
    s += v * v;
  }
  return s;
}

/** Converts heaps holding squared distances to a sorted KnnGraph with euclidean distances. */
function toGraph(h: NeighborHeaps): KnnGraph {
  h.sortRows();
  const distances = h.distances;
  for (let i = 0; i < distances.length; i++) distances[i] = Math.sqrt(distances[i]!);
  return { n: h.n, k: h.k, indices: h.indices, distances };
}

function checkK(x: Matrix, k: number): void {
  if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`kNN: k must be a positive integer, got ${k}`);
  if (k > x.rows - 1) throw new InvalidInputError(`kNN: k=${k} needs at least ${k + 1} points, got ${x.rows}`);
}

/** Exact euclidean k nearest neighbours (self excluded), each pair visited once: n²/2 distances. */
export function exactKnn(x: Matrix, k: number): KnnGraph {
  checkK(x, k);
  const { rows: n, cols: d, data } = x;
  const h = new NeighborHeaps(n, k);
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dd = sqDist(data, i, j, d);
      if (dd <= h.top(i)) h.push(i, dd, j, 0);
      if (dd <= h.top(j)) h.push(j, dd, i, 0);
    }
  }
  return toGraph(h);
}

/**
 * Leaves of a random-projection tree: each split takes two random points of the node and cuts by the hyperplane
 * halfway between them (as pynndescent / umap-js); degenerate splits fall back to a random halving.
 * Returns the permuted point indices and the leaf boundaries.
 */
export function rpTreeLeaves(x: Matrix, leafSize: number, rng: Random): { order: Int32Array; bounds: number[] } {
  const { rows: n, cols: d, data } = x;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const side = new Uint8Array(n);
  const hyper = new Float64Array(d);
  const tmp = new Int32Array(n);
  const bounds: number[] = [];
  const stack: number[] = [0, n];
  while (stack.length) {
    const end = stack.pop()!;
    const start = stack.pop()!;
    const size = end - start;
    if (size <= leafSize) {
      bounds.push(start, end);
      continue;
    }
    const a = order[start + rng.int(size)]!;
    let b = order[start + rng.int(size)]!;
    if (a === b) b = order[start + ((order.indexOf(a, start) - start + 1) % size)]!;
    let offset = 0;
    for (let t = 0; t < d; t++) {
      const av = data[a * d + t]!;
      const bv = data[b * d + t]!;
      hyper[t] = av - bv;
      offset -= (hyper[t]! * (av + bv)) / 2;
    }
    let left = 0;
    for (let p = start; p < end; p++) {
      const i = order[p]!;
      let m = offset;
      for (let t = 0; t < d; t++) m += hyper[t]! * data[i * d + t]!;
      const s = Math.abs(m) < 1e-8 ? rng.int(2) : m > 0 ? 1 : 0;
      side[p - start] = s;
      if (s === 1) left++;
    }
    if (left === 0 || left === size) {
      for (let p = 0; p < size; p++) side[p] = rng.int(2);
      left = 0;
      for (let p = 0; p < size; p++) left += side[p]!;
      if (left === 0 || left === size) {
        left = size >> 1;
        for (let p = 0; p < size; p++) side[p] = p < left ? 1 : 0;
      }
    }
    let l = 0;
    let r = left;
    for (let p = 0; p < size; p++) {
      if (side[p] === 1) tmp[l++] = order[start + p]!;
      else tmp[r++] = order[start + p]!;
    }
    order.set(tmp.subarray(0, size), start);
    stack.push(start + left, end, start, start + left);
  }
  return { order, bounds };
}

export interface NnDescentOptions {
  /** Random projection trees for the initial graph. Default 5 + round(sqrt(n) / 20), at most 12. */
  nTrees?: number;
  /** Iterations; default max(5, round(log2 n)). */
  nIters?: number;
  /** Candidates sampled per point per iteration. Default min(60, k). */
  maxCandidates?: number;
  /** Stop when fewer than delta * n * k heap updates happen in an iteration. Default 0.001. */
  delta?: number;
  /** Progress: called after every iteration with the number of heap updates. */
  onIteration?: (iteration: number, updates: number) => void;
}

/**
 * Approximate euclidean kNN (self excluded) by NN-descent (Dong et al.) initialised from a random-projection forest,
 * following pynndescent: sampled new/old candidate lists with reverse neighbours, local joins, early stop.
 */
export function nnDescentKnn(x: Matrix, k: number, rng: Random, options: NnDescentOptions = {}): KnnGraph {
  checkK(x, k);
  const { rows: n, cols: d, data } = x;
  const nTrees = options.nTrees ?? Math.min(12, 5 + Math.round(Math.sqrt(n) / 20));
  const nIters = options.nIters ?? Math.max(5, Math.round(Math.log2(n)));
  const maxC = options.maxCandidates ?? Math.min(60, k);
  const delta = options.delta ?? 0.001;
  const h = new NeighborHeaps(n, k);
  const leafSize = Math.max(10, k + 1);
  for (let t = 0; t < nTrees; t++) {
    const { order, bounds } = rpTreeLeaves(x, leafSize, rng);
    for (let b = 0; b < bounds.length; b += 2) {
      const s = bounds[b]!;
      const e = bounds[b + 1]!;
      for (let p = s; p < e; p++) {
        const i = order[p]!;
        for (let q = p + 1; q < e; q++) {
          const j = order[q]!;
          const dd = sqDist(data, i, j, d);
          if (dd <= h.top(i)) h.push(i, dd, j, 1);
          if (dd <= h.top(j)) h.push(j, dd, i, 1);
        }
      }
    }
  }
  // rows still short of k neighbours get random ones
  for (let i = 0; i < n; i++) {
    let guard = 0;
    while (h.indices[i * k] === -1 && guard++ < 10 * k) {
      const j = rng.int(n);
      if (j !== i) h.push(i, sqDist(data, i, j, d), j, 1);
    }
  }
  const newIdx = new Int32Array(n * maxC);
  const newPri = new Float64Array(n * maxC);
  const oldIdx = new Int32Array(n * maxC);
  const oldPri = new Float64Array(n * maxC);
  const newCount = new Int32Array(n);
  const oldCount = new Int32Array(n);
  for (let iter = 0; iter < nIters; iter++) {
    newIdx.fill(-1);
    oldIdx.fill(-1);
    newPri.fill(Infinity);
    oldPri.fill(Infinity);
    // candidate sampling: keep the maxC lowest random priorities per point, forward and reverse
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        const j = h.indices[i * k + s]!;
        if (j < 0) continue;
        const pri = rng.next();
        if (h.flags[i * k + s]) {
          candPush(newIdx, newPri, maxC, i, j, pri);
          candPush(newIdx, newPri, maxC, j, i, pri);
        } else {
          candPush(oldIdx, oldPri, maxC, i, j, pri);
          candPush(oldIdx, oldPri, maxC, j, i, pri);
        }
      }
    }
    // entries sampled as new are no longer new
    for (let i = 0; i < n; i++) {
      for (let s = 0; s < k; s++) {
        if (!h.flags[i * k + s]) continue;
        const j = h.indices[i * k + s]!;
        for (let c = 0; c < maxC; c++) {
          if (newIdx[i * maxC + c] === j) {
            h.flags[i * k + s] = 0;
            break;
          }
        }
      }
    }
    for (let i = 0; i < n; i++) {
      let nc = 0;
      let oc = 0;
      for (let c = 0; c < maxC; c++) {
        if (newIdx[i * maxC + c]! >= 0) newIdx[i * maxC + nc++] = newIdx[i * maxC + c]!;
        if (oldIdx[i * maxC + c]! >= 0) oldIdx[i * maxC + oc++] = oldIdx[i * maxC + c]!;
      }
      newCount[i] = nc;
      oldCount[i] = oc;
    }
    let updates = 0;
    for (let i = 0; i < n; i++) {
      const no = i * maxC;
      const nc = newCount[i]!;
      const oc = oldCount[i]!;
      for (let a = 0; a < nc; a++) {
        const p = newIdx[no + a]!;
        for (let b = a + 1; b < nc; b++) {
          const q = newIdx[no + b]!;
          if (p === q) continue;
          const dd = sqDist(data, p, q, d);
          if (dd <= h.top(p)) updates += h.push(p, dd, q, 1);
          if (dd <= h.top(q)) updates += h.push(q, dd, p, 1);
        }
        for (let b = 0; b < oc; b++) {
          const q = oldIdx[no + b]!;
          if (p === q) continue;
          const dd = sqDist(data, p, q, d);
          if (dd <= h.top(p)) updates += h.push(p, dd, q, 1);
          if (dd <= h.top(q)) updates += h.push(q, dd, p, 1);
        }
      }
    }
    options.onIteration?.(iter + 1, updates);
    if (updates <= delta * n * k) break;
  }
  return toGraph(h);
}

/** Bounded max-heap on priority per row (keeps the maxC smallest priorities); ignores duplicates. */
function candPush(idx: Int32Array, pri: Float64Array, m: number, i: number, j: number, p: number): void {
  const o = i * m;
  if (p >= pri[o]!) return;
  for (let s = 0; s < m; s++) if (idx[o + s] === j) return;
  let pos = 0;
  for (;;) {
    const l = 2 * pos + 1;
    if (l >= m) break;
    const r = l + 1;
    const big = r < m && pri[o + r]! > pri[o + l]! ? r : l;
    if (pri[o + big]! <= p) break;
    pri[o + pos] = pri[o + big]!;
    idx[o + pos] = idx[o + big]!;
    pos = big;
  }
  pri[o + pos] = p;
  idx[o + pos] = j;
}

/** Exact search for small inputs, NN-descent above `exactThreshold` points (default 4096, as umap-learn). */
export function euclideanKnn(x: Matrix, k: number, rng: Random, mode: 'auto' | 'exact' | 'nndescent' = 'auto', exactThreshold = 4096): KnnGraph {
  if (mode === 'exact' || (mode === 'auto' && x.rows <= exactThreshold)) return exactKnn(x, k);
  return nnDescentKnn(x, k, rng);
}
