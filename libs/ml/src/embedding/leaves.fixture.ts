import { Random } from '../core/random';
import { LeafMatrix } from './leaf-index';

/** Random leaf ids of n points in T trees, each tree with minLeaves..minLeaves+spread-1 leaves (test fixture). */
export function randomLeaves(n: number, T: number, seed: number, minLeaves = 2, spread = 6): LeafMatrix {
  const r = new Random(seed);
  const leafCounts = Int32Array.from({ length: T }, () => minLeaves + r.int(spread));
  const leaves = new Int32Array(n * T);
  for (let i = 0; i < n; i++) for (let t = 0; t < T; t++) leaves[i * T + t] = r.int(leafCounts[t]!);
  return { n, nTrees: T, leaves, leafCounts };
}
