import { LeafIndex, leafKnnGraph } from '../embedding/leaf-index';
import { randomLeaves } from '../embedding/leaves.fixture';
import { MlWorkerPool } from '../worker/ml-pool';
import { leafKnnGraphAsync } from './leaf-knn.task';

describe('threaded leaf kNN graph', () => {
  it('equals the in-thread graph when row chunks are shared with a worker', async () => {
    const m = randomLeaves(1300, 12, 3, 20, 30);
    const index = LeafIndex.build(m);
    const expected = leafKnnGraph(m, 9, index);
    const pool = new MlWorkerPool(1);
    try {
      const g = await leafKnnGraphAsync(m, 9, index, pool);
      expect(g.n).toBe(1300);
      expect(Array.from(g.indices)).toEqual(Array.from(expected.indices));
      expect(Array.from(g.distances)).toEqual(Array.from(expected.distances));
    } finally {
      await pool.close();
    }
    expect(Array.from((await leafKnnGraphAsync(m, 9, index, null)).indices)).toEqual(Array.from(expected.indices));
  }, 30_000);
});
