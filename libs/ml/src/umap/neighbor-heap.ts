/**
 * Fixed-size max-heaps of (distance, index) pairs, one per row, in flat typed arrays: the working set of every
 * nearest-neighbour search here. Ties on distance are broken by index so that results do not depend on visit order.
 */
export class NeighborHeaps {
  readonly indices: Int32Array;
  readonly distances: Float64Array;
  /** 1 when the entry was added since the row was last sampled (NN-descent's "new" flag). */
  readonly flags: Uint8Array;

  constructor(
    readonly n: number,
    readonly k: number,
  ) {
    this.indices = new Int32Array(n * k).fill(-1);
    this.distances = new Float64Array(n * k).fill(Infinity);
    this.flags = new Uint8Array(n * k);
  }

  /** Worst (largest) distance currently kept for row i. */
  top(i: number): number {
    return this.distances[i * this.k]!;
  }

  /** Pushes (d, j) into row i if it beats the worst entry and j is not present; returns 1 when the row changed. */
  push(i: number, d: number, j: number, flag: number): number {
    const k = this.k;
    const o = i * k;
    const dist = this.distances;
    const idx = this.indices;
    const topD = dist[o]!;
    if (d > topD || (d === topD && j >= idx[o]! && idx[o]! !== -1)) return 0;
    for (let s = 0; s < k; s++) if (idx[o + s] === j) return 0;
    // replace the root and sift down
    let pos = 0;
    for (;;) {
      const l = 2 * pos + 1;
      const r = l + 1;
      let big = l;
      if (l >= k) break;
      if (r < k && greater(dist[o + r]!, idx[o + r]!, dist[o + l]!, idx[o + l]!)) big = r;
      if (!greater(dist[o + big]!, idx[o + big]!, d, j)) break;
      dist[o + pos] = dist[o + big]!;
      idx[o + pos] = idx[o + big]!;
      this.flags[o + pos] = this.flags[o + big]!;
      pos = big;
    }
    dist[o + pos] = d;
    idx[o + pos] = j;
    this.flags[o + pos] = flag;
    return 1;
  }

  /** Sorts every row ascending by (distance, index) in place; heaps are unusable afterwards. */
  sortRows(): void {
    const k = this.k;
    const order = new Int32Array(k);
    const d = new Float64Array(k);
    const ix = new Int32Array(k);
    for (let i = 0; i < this.n; i++) {
      const o = i * k;
      for (let s = 0; s < k; s++) order[s] = s;
      order.sort((a, b) => {
        const da = this.distances[o + a]!;
        const db = this.distances[o + b]!;
        if (da !== db) return da < db ? -1 : 1;
        const ia = this.indices[o + a]!;
        const ib = this.indices[o + b]!;
        return (ia === -1 ? Infinity : ia) - (ib === -1 ? Infinity : ib);
      });
      for (let s = 0; s < k; s++) {
        d[s] = this.distances[o + order[s]!]!;
        ix[s] = this.indices[o + order[s]!]!;
      }
      this.distances.set(d, o);
      this.indices.set(ix, o);
    }
  }
}

/** (d1, i1) > (d2, i2) in (distance, index) order with index -1 (empty) as +∞. */
function greater(d1: number, i1: number, d2: number, i2: number): boolean {
  if (d1 !== d2) return d1 > d2;
  const a = i1 === -1 ? Infinity : i1;
  const b = i2 === -1 ? Infinity : i2;
  return a > b;
}
