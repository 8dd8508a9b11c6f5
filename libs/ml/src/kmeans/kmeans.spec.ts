import { InvalidInputError, fromRows } from '../core/matrix';
import { adjustedRandIndex } from '../selection/ari';
import { blobs } from './blobs.fixture';
import { Random } from '../core/random';
import { kmeans, kmeansPlusPlus, kmeansPredict, lloyd } from './kmeans';

const centers = [
  [0, 0, 0],
  [10, 0, 0],
  [0, 10, 0],
  [0, 0, 10],
];

/** Plain Lloyd (every distance every iteration), the reference for the bound-accelerated one. */
function naiveLloyd(x: { rows: number; cols: number; data: Float64Array }, centers: Float64Array, k: number, maxIter: number, tolAbs: number) {
  const { rows: n, cols: d, data } = x;
  const labels = new Int32Array(n);
  const assign = (): boolean => {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bd = Infinity;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) s += (data[i * d + j]! - centers[c * d + j]!) ** 2;
        if (s < bd) {
          bd = s;
          best = c;
        }
      }
      if (labels[i] !== best) changed = true;
      labels[i] = best;
    }
    return changed;
  };
  assign();
  let iterations = 0;
  for (let it = 0; it < maxIter; it++) {
    iterations = it + 1;
    if (it > 0 && !assign()) break;
    const sums = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      counts[labels[i]!]++;
      for (let j = 0; j < d; j++) sums[labels[i]! * d + j] += data[i * d + j]!;
    }
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        const v = sums[c * d + j]! / counts[c]!;
        shift += (v - centers[c * d + j]!) ** 2;
        centers[c * d + j] = v;
      }
    }
    if (shift <= tolAbs) {
      assign();
      break;
    }
  }
  return { labels, iterations };
}

describe('kmeans', () => {
  it('bound-accelerated Lloyd iterations equal plain Lloyd (labels, centres, iterations)', () => {
    for (const seed of [1, 2, 3]) {
      // overlapping blobs, so that many points change centre over many iterations
      const { x } = blobs([[0, 0, 0], [2, 1, 0], [1, 2, 1], [3, 3, 3], [0, 3, 1], [2, -1, 2]], 80, 1.2, seed);
      const start = kmeansPlusPlus(x, 6, new Random(seed));
      const fastCentres = Float64Array.from(start);
      const fast = lloyd(x, fastCentres, 6, 300, 0);
      const plainCentres = Float64Array.from(start);
      const plain = naiveLloyd(x, plainCentres, 6, 300, 0);
      expect(fast.iterations).toBe(plain.iterations);
      expect(fast.iterations).toBeGreaterThan(3);
      expect(Array.from(fast.labels)).toEqual(Array.from(plain.labels));
      expect(Array.from(fastCentres)).toEqual(Array.from(plainCentres));
    }
  });

  it('recovers well separated blobs', () => {
    const { x, labels } = blobs(centers, 60, 1, 7);
    const r = kmeans(x, { k: 4, seed: 1 });
    expect(adjustedRandIndex(r.labels, labels)).toBe(1);
    // each fitted centroid is near one true centre
    for (let c = 0; c < 4; c++) {
      const cen = Array.from(r.centroids.data.subarray(c * 3, c * 3 + 3));
      const nearest = Math.min(...centers.map((t) => Math.hypot(...t.map((v, j) => v - cen[j]!))));
      expect(nearest).toBeLessThan(0.5);
    }
    expect(kmeansPredict(r, fromRows([[9.5, 0.2, 0.1]]))[0]).toBe(r.labels[60]);
  });

  it('is deterministic for a seed and inertia matches the labels', () => {
    const { x } = blobs(centers, 40, 3, 9);
    const a = kmeans(x, { k: 5, seed: 42 });
    const b = kmeans(x, { k: 5, seed: 42 });
    expect(Array.from(a.labels)).toEqual(Array.from(b.labels));
    expect(a.inertia).toBe(b.inertia);
    let inertia = 0;
    for (let i = 0; i < x.rows; i++) {
      const c = a.labels[i]!;
      for (let j = 0; j < 3; j++) inertia += (x.data[i * 3 + j]! - a.centroids.data[c * 3 + j]!) ** 2;
    }
    expect(a.inertia).toBeCloseTo(inertia, 8);
  });

  it('rejects k above the number of distinct points, and non-finite input', () => {
    const x = fromRows([[1, 1], [1, 1], [2, 2], [2, 2], [1, 1]]);
    expect(() => kmeans(x, { k: 3 })).toThrow(/exceeds the number of distinct points \(2\)/);
    expect(kmeans(x, { k: 2 }).inertia).toBe(0);
    expect(() => kmeans(fromRows([[1, NaN], [0, 0]]), { k: 1 })).toThrow(InvalidInputError);
    expect(() => kmeans(fromRows([[1, 2]]), { k: 2 })).toThrow(/exceeds the number of rows/);
  });

  it('copes with a constant feature', () => {
    const { x, labels } = blobs([[0, 5], [8, 5]], 30, 0.5, 3);
    for (let i = 0; i < x.rows; i++) x.data[i * 2 + 1] = 5;
    expect(adjustedRandIndex(kmeans(x, { k: 2 }).labels, labels)).toBe(1);
  });
});
