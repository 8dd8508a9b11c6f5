import { LeafIndex, LeafMatrix, leafKnnBruteForce, leafKnnGraph } from './leaf-index';
import { randomLeaves } from './leaves.fixture';

describe('leaf-space neighbours', () => {
  it('equals the brute-force kNN graph (distance = 1 - shared leaves / trees, ties by index)', () => {
    for (const [n, T, k, seed] of [[80, 9, 5, 1], [50, 3, 10, 2], [30, 25, 29, 3]] as const) {
      const m = randomLeaves(n, T, seed);
      const fast = leafKnnGraph(m, k);
      const slow = leafKnnBruteForce(m, k);
      expect(fast.n).toBe(n);
      expect(fast.k).toBe(k);
      expect(Array.from(fast.indices)).toEqual(Array.from(slow.indices));
      expect(Array.from(fast.distances)).toEqual(Array.from(slow.distances));
    }
  });

  it('counts shared leaves on a hand-built case and pads with unrelated points at distance 1', () => {
    // 4 trees; points 0 and 1 share 3 leaves, 0 and 2 share 1, point 3 shares nothing with 0
    const m: LeafMatrix = {
      n: 4,
      nTrees: 4,
      leafCounts: Int32Array.from([3, 3, 3, 3]),
      leaves: Int32Array.from([
        0, 0, 0, 0, //
        0, 0, 0, 1, //
        0, 1, 1, 1, //
        2, 2, 2, 2,
      ]),
    };
    const g = leafKnnGraph(m, 3);
    expect(Array.from(g.indices.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(g.distances.subarray(0, 3))).toEqual([0.25, 0.75, 1]);
    expect(Array.from(g.indices.subarray(9, 12))).toEqual([0, 1, 2]); // point 3: nobody shares, lowest indices
    expect(Array.from(g.distances.subarray(9, 12))).toEqual([1, 1, 1]);
  });

  it('marks missing neighbours with -1 / Infinity when k exceeds the other points', () => {
    const m = randomLeaves(3, 4, 4);
    const g = leafKnnGraph(m, 5);
    for (let i = 0; i < 3; i++) {
      const row = Array.from(g.indices.subarray(i * 5, i * 5 + 5));
      expect(row.slice(0, 2).sort()).toEqual([0, 1, 2].filter((j) => j !== i));
      expect(row.slice(2)).toEqual([-1, -1, -1]);
      expect(g.distances[i * 5 + 4]).toBe(Infinity);
    }
  });

  it('answers queries for new points against the index (self not excluded)', () => {
    const m = randomLeaves(40, 6, 5);
    const index = LeafIndex.build(m);
    const q = m.leaves.slice(7 * 6, 8 * 6); // a copy of point 7
    const g = index.query(q, 1, 4);
    expect(g.indices[0]).toBe(7);
    expect(g.distances[0]).toBe(0);
    expect(Array.from(index.leafMembers(0, m.leaves[0]!))).toContain(0);
  });

  it('gives the leaf-space distance to every indexed point, equal to the brute-force count', () => {
    const m = randomLeaves(30, 7, 8);
    const index = LeafIndex.build(m);
    const out = new Float64Array(30);
    index.distancesFrom(m.leaves, 4 * 7, out);
    for (let j = 0; j < 30; j++) {
      let shared = 0;
      for (let t = 0; t < 7; t++) if (m.leaves[4 * 7 + t] === m.leaves[j * 7 + t]) shared++;
      expect(out[j]).toBeCloseTo(1 - shared / 7, 15);
    }
    expect(out[4]).toBe(0);
    expect(() => index.distancesFrom(m.leaves, 4 * 7, new Float64Array(3))).toThrow(/3 slots/);
  });

  it('rejects leaf ids out of range', () => {
    const m = randomLeaves(5, 2, 6);
    expect(() => LeafIndex.build({ ...m, leaves: Int32Array.from([...m.leaves.subarray(0, 9), 99]) })).toThrow(/out of range/);
    expect(() => LeafIndex.build(m).query(Int32Array.from([0, 99]), 1, 2)).toThrow(/out of range/);
  });
});
