/**
 * Random-forest leaf embedding: a customer is the vector of leaf ids it reaches, one per tree; two customers are as
 * similar as the fraction of trees in which they share a leaf (Hamming geometry on leaf ids, i.e. the one-hot leaf
 * encoding up to a constant). Distance = 1 - shared / nTrees.
 *
 * Exact k nearest neighbours without comparing all pairs: an inverted index per tree (leaf -> members) and, per query,
 * co-occurrence counts over the members of its leaves. The cost per query is the total size of the leaves it falls
 * in (small for fully grown trees), not n * nTrees.
 */
import { KnnGraph } from '../core/knn';
import { InvalidInputError } from '../core/matrix';

/** Leaf ids of n points in T trees: row-major n x T, values in 0..leafCounts[t]-1. */
export interface LeafMatrix {
  readonly n: number;
  readonly nTrees: number;
  readonly leaves: Int32Array;
  readonly leafCounts: Int32Array;
}

export function assertLeafMatrix(m: LeafMatrix, what = 'leaf matrix'): void {
  if (m.leaves.length !== m.n * m.nTrees) throw new InvalidInputError(`${what}: ${m.leaves.length} leaf ids for ${m.n} x ${m.nTrees}`);
  if (m.leafCounts.length !== m.nTrees) throw new InvalidInputError(`${what}: ${m.leafCounts.length} leaf counts for ${m.nTrees} trees`);
  for (let i = 0; i < m.n; i++) {
    for (let t = 0; t < m.nTrees; t++) {
      const l = m.leaves[i * m.nTrees + t]!;
      if (!(l >= 0 && l < m.leafCounts[t]!)) throw new InvalidInputError(`${what}: leaf id ${l} of point ${i} out of range for tree ${t}`);
    }
  }
}

export interface LeafIndexArrays {
  readonly n: number;
  readonly nTrees: number;
  readonly leafCounts: Int32Array;
  readonly treeBase: Int32Array;
  readonly ptr: Int32Array;
  readonly members: Int32Array;
}

/** Inverted index: for every (tree, leaf), its members in ascending order (CSR). */
export class LeafIndex {
  private constructor(
    readonly n: number,
    readonly nTrees: number,
    readonly leafCounts: Int32Array,
    /** First global leaf slot of tree t (prefix sums of leafCounts). */
    private readonly treeBase: Int32Array,
    /** Global leaf g has members[ptr[g] .. ptr[g+1]). */
    private readonly ptr: Int32Array,
    private readonly members: Int32Array,
  ) {}

  /** The index as plain arrays (e.g. to hand to a worker thread). */
  toArrays(): LeafIndexArrays {
    return { n: this.n, nTrees: this.nTrees, leafCounts: this.leafCounts, treeBase: this.treeBase, ptr: this.ptr, members: this.members };
  }

  static fromArrays(a: LeafIndexArrays): LeafIndex {
    if (a.treeBase.length !== a.nTrees + 1 || a.ptr.length !== a.treeBase[a.nTrees]! + 1 || a.members.length !== a.n * a.nTrees) {
      throw new InvalidInputError('leaf index: inconsistent arrays');
    }
    return new LeafIndex(a.n, a.nTrees, a.leafCounts, a.treeBase, a.ptr, a.members);
  }

  static build(m: LeafMatrix): LeafIndex {
    assertLeafMatrix(m);
    const { n, nTrees: T, leaves, leafCounts } = m;
    const treeBase = new Int32Array(T + 1);
    for (let t = 0; t < T; t++) treeBase[t + 1] = treeBase[t]! + leafCounts[t]!;
    const G = treeBase[T]!;
    const ptr = new Int32Array(G + 1);
    for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) ptr[treeBase[t]! + leaves[i * T + t]! + 1]!++;
    for (let g = 0; g < G; g++) ptr[g + 1]! += ptr[g]!;
    const fill = ptr.slice(0, G);
    const members = new Int32Array(n * T);
    // points visited in ascending order, so members of each leaf come out sorted
    for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) members[fill[treeBase[t]! + leaves[i * T + t]!]!++] = i;
    return new LeafIndex(n, T, leafCounts, treeBase, ptr, members);
  }

  /** Members of leaf `leaf` of tree `t` (a view). */
  leafMembers(t: number, leaf: number): Int32Array {
    const g = this.treeBase[t]! + leaf;
    return this.members.subarray(this.ptr[g]!, this.ptr[g + 1]!);
  }

  /**
   * Leaf-space distance (1 - shared leaves / trees) from the point whose leaf ids are leaves[offset .. offset +
   * nTrees) to every indexed point, into out (length n). Linear in the sizes of that point's leaves plus n.
   */
  distancesFrom(leaves: Int32Array, offset: number, out: Float64Array): void {
    const T = this.nTrees;
    if (out.length !== this.n) throw new InvalidInputError(`leaf distances: output has ${out.length} slots for ${this.n} points`);
    if (offset < 0 || offset + T > leaves.length) throw new InvalidInputError(`leaf distances: no ${T} leaf ids at offset ${offset}`);
    out.fill(0);
    for (let t = 0; t < T; t++) {
      const leaf = leaves[offset + t]!;
      if (!(leaf >= 0 && leaf < this.leafCounts[t]!)) throw new InvalidInputError(`leaf distances: leaf id ${leaf} out of range for tree ${t}`);
      const g = this.treeBase[t]! + leaf;
      for (let s = this.ptr[g]!, e = this.ptr[g + 1]!; s < e; s++) out[this.members[s]!]!++;
    }
    for (let j = 0; j < this.n; j++) out[j] = 1 - out[j]! / T;
  }

  /**
   * Exact k nearest indexed points of each query (rows of `queries`, m x nTrees leaf ids from the same forest).
   * `self[q]` >= 0 excludes that indexed point from query q's neighbours (used for the graph of the indexed points
   * themselves and for leave-one-out checks). Ties in distance are broken by ascending index; when fewer than k
   * points share a leaf with the query the rest are the lowest-index points at distance 1.
   */
  query(queries: Int32Array, m: number, k: number, self?: Int32Array): KnnGraph {
    const T = this.nTrees;
    if (queries.length !== m * T) throw new InvalidInputError(`leaf knn: ${queries.length} leaf ids for ${m} queries x ${T} trees`);
    if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`leaf knn: k must be a positive integer (got ${k})`);
    const n = this.n;
    const indices = new Int32Array(m * k).fill(-1);
    const distances = new Float64Array(m * k).fill(Infinity);
    const counts = new Int32Array(n);
    const touched = new Int32Array(n);
    const hist = new Int32Array(T + 2);
    let cand = new Int32Array(64);
    const { treeBase, ptr, members, leafCounts } = this;
    for (let q = 0; q < m; q++) {
      const qo = q * T;
      let nt = 0;
      for (let t = 0; t < T; t++) {
        const leaf = queries[qo + t]!;
        if (!(leaf >= 0 && leaf < leafCounts[t]!)) throw new InvalidInputError(`leaf knn: leaf id ${leaf} of query ${q} out of range for tree ${t}`);
        const g = treeBase[t]! + leaf;
        for (let s = ptr[g]!, e = ptr[g + 1]!; s < e; s++) {
          const j = members[s]!;
          if (counts[j]++ === 0) touched[nt++] = j;
        }
      }
      const me = self ? self[q]! : -1;
      if (me >= 0 && counts[me]! > 0) {
        // remove self from the candidates
        counts[me] = 0;
        let w = 0;
        for (let r = 0; r < nt; r++) if (touched[r] !== me) touched[w++] = touched[r]!;
        nt = w;
      }
      // smallest count c such that at least k candidates have count >= c (or 1 when fewer than k candidates)
      hist.fill(0);
      for (let r = 0; r < nt; r++) hist[counts[touched[r]!]!]!++;
      let c = T;
      let above = 0;
      while (c > 1 && above + hist[c]! < k) above += hist[c--]!;
      // candidates with count >= c, sorted by count desc then index asc
      let nc = 0;
      for (let r = 0; r < nt; r++) {
        const j = touched[r]!;
        if (counts[j]! >= c) {
          if (nc === cand.length) {
            const bigger = new Int32Array(cand.length * 2);
            bigger.set(cand);
            cand = bigger;
          }
          cand[nc++] = j;
        }
      }
      const sorted = cand.subarray(0, nc).sort((a, b) => counts[b]! - counts[a]! || a - b);
      const take = Math.min(k, nc);
      const o = q * k;
      for (let r = 0; r < take; r++) {
        const j = sorted[r]!;
        indices[o + r] = j;
        distances[o + r] = 1 - counts[j]! / T;
      }
      // pad with the lowest-index points sharing no leaf
      let filled = take;
      for (let j = 0; filled < k && j < n; j++) {
        if (counts[j] === 0 && j !== me) {
          indices[o + filled] = j;
          distances[o + filled] = 1;
          filled++;
        }
      }
      for (let r = 0; r < nt; r++) counts[touched[r]!] = 0;
    }
    return { n: m, k, indices, distances };
  }
}

/** The exact kNN graph of the points of a leaf matrix among themselves (self excluded). */
export function leafKnnGraph(m: LeafMatrix, k: number, index: LeafIndex = LeafIndex.build(m)): KnnGraph {
  const self = new Int32Array(m.n);
  for (let i = 0; i < m.n; i++) self[i] = i;
  return index.query(m.leaves, m.n, k, self);
}

/** Brute-force reference (O(n^2 T)): for tests and small inputs. */
export function leafKnnBruteForce(m: LeafMatrix, k: number): KnnGraph {
  const { n, nTrees: T, leaves } = m;
  const indices = new Int32Array(n * k).fill(-1);
  const distances = new Float64Array(n * k).fill(Infinity);
  for (let i = 0; i < n; i++) {
    const d: { j: number; d: number }[] = [];
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let s = 0;
      for (let t = 0; t < T; t++) if (leaves[i * T + t] === leaves[j * T + t]) s++;
      d.push({ j, d: 1 - s / T });
    }
    d.sort((a, b) => a.d - b.d || a.j - b.j);
    for (let r = 0; r < Math.min(k, d.length); r++) {
      indices[i * k + r] = d[r]!.j;
      distances[i * k + r] = d[r]!.d;
    }
  }
  return { n, k, indices, distances };
}
