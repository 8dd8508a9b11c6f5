import { fromRows } from '../core/matrix';
import { blobs } from '../kmeans/blobs.fixture';
import { kmeans } from '../kmeans/kmeans';
import { silhouetteScore } from '../silhouette/silhouette';
import { adjustedRandIndex } from './ari';
import { MlWorkerPool } from '../worker/ml-pool';
import { countDistinctRows, kmeansBic, selectK } from './select-k';

const fiveBlobs = blobs(
  [
    [0, 0],
    [12, 0],
    [0, 12],
    [12, 12],
    [6, 24],
  ],
  60,
  1,
  4,
);

describe('selectK', () => {
  it.each(['gmm', 'kmeans'] as const)('finds the planted k with %s and reports the whole curve', async (method) => {
    const { x, labels } = fiveBlobs;
    const r = await selectK(x, { kMin: 2, kMax: 8, method, seed: 1 });
    expect(r.best.k).toBe(5);
    expect(adjustedRandIndex(r.best.labels, labels)).toBeGreaterThan(0.99);
    expect(r.curve.map((p) => p.k)).toEqual([2, 3, 4, 5, 6, 7, 8]);
    const top = Math.max(...r.curve.map((p) => p.silhouette));
    expect(r.best.silhouette).toBe(top);
    expect(r.best.silhouette).toBeCloseTo(silhouetteScore(x, r.best.labels), 12);
    expect(r.best.model.method).toBe(method);
  });

  it('is deterministic and honours silhouetteSample / fitSample', async () => {
    const { x } = fiveBlobs;
    const opts = { kMin: 3, kMax: 6, seed: 7, silhouetteSample: 120, fitSample: 200 };
    const a = await selectK(x, opts);
    const b = await selectK(x, opts);
    expect(a.curve).toEqual(b.curve.map((p, i) => ({ ...p, ms: a.curve[i]!.ms })));
    expect(Array.from(a.best.labels)).toEqual(Array.from(b.best.labels));
    expect(a.best.labels.length).toBe(x.rows);
    expect(a.best.k).toBe(5);
  });

  it('clamps kMax to the number of distinct points and rejects kMin above it', async () => {
    const x = fromRows([[0, 0], [0, 0], [5, 5], [5, 5], [9, 0], [9, 0], [9, 0]]);
    expect(countDistinctRows(x)).toBe(3);
    const r = await selectK(x, { kMin: 2, kMax: 10, method: 'kmeans' });
    expect(r.kRange).toEqual([2, 3]);
    expect(r.curve.map((p) => p.k)).toEqual([2, 3]);
    expect(r.best.k).toBe(3);
    await expect(selectK(x, { kMin: 4, kMax: 6 })).rejects.toThrow(/kMin=4 exceeds the number of distinct points \(3\)/);
    await expect(selectK(x, { kMin: 1, kMax: 3 })).rejects.toThrow(/2 <= kMin <= kMax/);
    await expect(selectK(fromRows([[NaN, 1], [2, 3], [4, 5]]), { kMin: 2, kMax: 2 })).rejects.toThrow(/non-finite/);
  });

  it.each(['gmm', 'kmeans'] as const)('gives the same result with a worker pool sharing the runs (%s)', async (method) => {
    const { x } = fiveBlobs;
    const opts = { kMin: 2, kMax: 7, method, nInit: 2, seed: 3 };
    const alone = await selectK(x, opts);
    const pool = new MlWorkerPool(1);
    try {
      const shared = await selectK(x, opts, pool);
      expect(shared.best.k).toBe(alone.best.k);
      expect(Array.from(shared.best.labels)).toEqual(Array.from(alone.best.labels));
      expect(shared.curve.map((p) => [p.k, p.silhouette, p.bic])).toEqual(alone.curve.map((p) => [p.k, p.silhouette, p.bic]));
    } finally {
      await pool.close();
    }
  }, 30_000);

  it('kmeansBic is lower at the planted k than at k = 2', () => {
    const { x } = fiveBlobs;
    expect(kmeansBic(x, kmeans(x, { k: 5, seed: 1 }))).toBeLessThan(kmeansBic(x, kmeans(x, { k: 2, seed: 1 })));
  });
});
