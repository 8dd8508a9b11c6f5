import { KnnGraph } from '../core/knn';

/** Sparse symmetric weighted graph in CSR form (row i: cols/weights in [indptr[i], indptr[i+1]), cols ascending). */
export interface CsrGraph {
  n: number;
  indptr: Int32Array;
  indices: Int32Array;
  weights: Float64Array;
}

const SMOOTH_K_TOLERANCE = 1e-5;
const MIN_K_DIST_SCALE = 1e-3;

/**
 * umap-learn's smooth_knn_dist: per point, rho = distance to the `localConnectivity`-th nearest neighbour and sigma
 * by binary search so that Σ_j exp(-(d_j - rho) / sigma) = log2(nNeighbors) (64 iterations, tolerance 1e-5), with
 * sigma floored at 1e-3 x the mean neighbour distance. Row i of the graph must not contain i (KnnGraph contract);
 * slots with index -1 are ignored.
 */
export function smoothKnnDist(g: KnnGraph, nNeighbors: number, localConnectivity = 1, bandwidth = 1) {
  const { n, k, indices, distances } = g;
  const target = Math.log2(nNeighbors) * bandwidth;
  const rhos = new Float64Array(n);
  const sigmas = new Float64Array(n);
  let meanAll = 0;
  let countAll = 0;
  for (let i = 0; i < n * k; i++) {
    if (indices[i]! >= 0) {
      meanAll += distances[i]!;
      countAll++;
    }
  }
  meanAll = countAll ? meanAll / countAll : 0;
  const nonZero = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let nz = 0;
    let sum = 0;
    let cnt = 0;
    for (let s = 0; s < k; s++) {
      if (indices[o + s]! < 0) continue;
      const dd = distances[o + s]!;
      sum += dd;
      cnt++;
      if (dd > 0) nonZero[nz++] = dd;
    }
    let rho = 0;
    if (nz >= localConnectivity) {
      const index = Math.floor(localConnectivity);
      const interpolation = localConnectivity - index;
      if (index > 0) {
        rho = nonZero[index - 1]!;
        if (interpolation > SMOOTH_K_TOLERANCE) rho += interpolation * (nonZero[index]! - nonZero[index - 1]!);
      } else {
        rho = interpolation * nonZero[0]!;
      }
    } else if (nz > 0) {
      for (let s = 0; s < nz; s++) rho = Math.max(rho, nonZero[s]!);
    }
    let lo = 0;
    let hi = Infinity;
    let mid = 1;
    for (let it = 0; it < 64; it++) {
      let psum = 0;
      for (let s = 0; s < k; s++) {
        if (indices[o + s]! < 0) continue;
        const dd = distances[o + s]! - rho;
        psum += dd > 0 ? Math.exp(-(dd / mid)) : 1;
      }
      if (Math.abs(psum - target) < SMOOTH_K_TOLERANCE) break;
      if (psum > target) {
        hi = mid;
        mid = (lo + hi) / 2;
      } else {
        lo = mid;
        mid = hi === Infinity ? mid * 2 : (lo + hi) / 2;
      }
    }
    const meanI = cnt ? sum / cnt : 0;
    const floor = MIN_K_DIST_SCALE * (rho > 0 ? meanI : meanAll);
    sigmas[i] = Math.max(mid, floor);
    rhos[i] = rho;
  }
  return { sigmas, rhos };
}

/**
 * The fuzzy simplicial set of a kNN graph: directed memberships exp(-(d - rho_i) / sigma_i), then the fuzzy union
 * A + Aᵀ - A∘Aᵀ (set_op_mix_ratio 1) or a mix with the intersection A∘Aᵀ. Built in CSR with typed arrays;
 * zero weights are dropped.
 */
export function fuzzySimplicialSet(g: KnnGraph, nNeighbors: number, localConnectivity = 1, setOpMixRatio = 1): CsrGraph {
  const { n, k, indices, distances } = g;
  const { sigmas, rhos } = smoothKnnDist(g, nNeighbors, localConnectivity);
  // directed graph A in CSR (cols sorted, duplicates merged by max)
  const aPtr = new Int32Array(n + 1);
  const aIdx = new Int32Array(n * k);
  const aVal = new Float64Array(n * k);
  const order = new Int32Array(k);
  let nnz = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let m = 0;
    for (let s = 0; s < k; s++) {
      const j = indices[o + s]!;
      if (j >= 0 && j !== i) order[m++] = s;
    }
    const slots = order.subarray(0, m).sort((p, q) => indices[o + p]! - indices[o + q]!);
    let last = -1;
    for (const s of slots) {
      const j = indices[o + s]!;
      const dd = distances[o + s]! - rhos[i]!;
      const v = dd <= 0 ? 1 : Math.exp(-(dd / sigmas[i]!));
      if (j === last) {
        aVal[nnz - 1] = Math.max(aVal[nnz - 1]!, v);
        continue;
      }
      aIdx[nnz] = j;
      aVal[nnz] = v;
      nnz++;
      last = j;
    }
    aPtr[i + 1] = nnz;
  }
  // transpose (counting sort by column keeps rows ascending)
  const tPtr = new Int32Array(n + 1);
  for (let p = 0; p < nnz; p++) tPtr[aIdx[p]! + 1]++;
  for (let i = 0; i < n; i++) tPtr[i + 1] += tPtr[i]!;
  const tIdx = new Int32Array(nnz);
  const tVal = new Float64Array(nnz);
  const fill = tPtr.slice(0, n);
  for (let i = 0; i < n; i++) {
    for (let p = aPtr[i]!; p < aPtr[i + 1]!; p++) {
      const q = fill[aIdx[p]!]++;
      tIdx[q] = i;
      tVal[q] = aVal[p]!;
    }
  }
  // merge rows of A and Aᵀ
  const indptr = new Int32Array(n + 1);
  const outIdx = new Int32Array(2 * nnz);
  const outVal = new Float64Array(2 * nnz);
  let m = 0;
  for (let i = 0; i < n; i++) {
    let p = aPtr[i]!;
    let q = tPtr[i]!;
    const pe = aPtr[i + 1]!;
    const qe = tPtr[i + 1]!;
    while (p < pe || q < qe) {
      let j: number;
      let a = 0;
      let b = 0;
      if (q >= qe || (p < pe && aIdx[p]! < tIdx[q]!)) {
        j = aIdx[p]!;
        a = aVal[p++]!;
      } else if (p >= pe || tIdx[q]! < aIdx[p]!) {
        j = tIdx[q]!;
        b = tVal[q++]!;
      } else {
        j = aIdx[p]!;
        a = aVal[p++]!;
        b = tVal[q++]!;
      }
      const prod = a * b;
      const v = setOpMixRatio * (a + b - prod) + (1 - setOpMixRatio) * prod;
      if (v > 0) {
        outIdx[m] = j;
        outVal[m] = v;
        m++;
      }
    }
    indptr[i + 1] = m;
  }
  return { n, indptr, indices: outIdx.slice(0, m), weights: outVal.slice(0, m) };
}

/** Connected components of a CSR graph: component id per vertex (numbered by lowest vertex) and the count. */
export function connectedComponents(g: CsrGraph): { labels: Int32Array; count: number } {
  const labels = new Int32Array(g.n).fill(-1);
  const stack = new Int32Array(g.n);
  let count = 0;
  for (let s = 0; s < g.n; s++) {
    if (labels[s] !== -1) continue;
    let top = 0;
    stack[top++] = s;
    labels[s] = count;
    while (top) {
      const v = stack[--top]!;
      for (let p = g.indptr[v]!; p < g.indptr[v + 1]!; p++) {
        const u = g.indices[p]!;
        if (labels[u] === -1) {
          labels[u] = count;
          stack[top++] = u;
        }
      }
    }
    count++;
  }
  return { labels, count };
}

/**
 * Breadth-first vertex order (component by component, from the lowest unvisited vertex, neighbours in index order):
 * order[newIndex] = oldIndex. Graph neighbours end up close together in memory.
 */
export function bfsOrder(g: CsrGraph): Int32Array {
  const order = new Int32Array(g.n);
  const seen = new Uint8Array(g.n);
  let head = 0;
  let tail = 0;
  for (let s = 0; s < g.n; s++) {
    if (seen[s]) continue;
    seen[s] = 1;
    order[tail++] = s;
    while (head < tail) {
      const v = order[head++]!;
      for (let p = g.indptr[v]!; p < g.indptr[v + 1]!; p++) {
        const u = g.indices[p]!;
        if (!seen[u]) {
          seen[u] = 1;
          order[tail++] = u;
        }
      }
    }
  }
  return order;
}

/** The graph with vertices renumbered so that new vertex i is old vertex order[i] (columns re-sorted per row). */
export function permuteGraph(g: CsrGraph, order: Int32Array): CsrGraph {
  const n = g.n;
  const inv = new Int32Array(n);
  for (let i = 0; i < n; i++) inv[order[i]!] = i;
  const indptr = new Int32Array(n + 1);
  const indices = new Int32Array(g.indices.length);
  const weights = new Float64Array(g.weights.length);
  let q = 0;
  const slot: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = order[i]!;
    const start = g.indptr[v]!;
    const end = g.indptr[v + 1]!;
    slot.length = 0;
    for (let p = start; p < end; p++) slot.push(p);
    slot.sort((x, y) => inv[g.indices[x]!]! - inv[g.indices[y]!]!);
    for (const p of slot) {
      indices[q] = inv[g.indices[p]!]!;
      weights[q++] = g.weights[p]!;
    }
    indptr[i + 1] = q;
  }
  return { n, indptr, indices, weights };
}
