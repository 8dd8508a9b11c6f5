import { InvalidInputError, Matrix, fromRows } from '../core/matrix';
import { Random } from '../core/random';
import { blobs } from '../kmeans/blobs.fixture';
import { silhouetteSampled, silhouetteSamples, silhouetteScore } from './silhouette';

function bruteForce(x: Matrix, labels: ArrayLike<number>): number[] {
  const d = (i: number, j: number) => {
    let s = 0;
    for (let t = 0; t < x.cols; t++) s += (x.data[i * x.cols + t]! - x.data[j * x.cols + t]!) ** 2;
    return Math.sqrt(s);
  };
  const ks = [...new Set(Array.from(labels))];
  return Array.from({ length: x.rows }, (_, i) => {
    const own = labels[i]!;
    const members = (c: number) => Array.from({ length: x.rows }, (_, j) => j).filter((j) => labels[j] === c && j !== i);
    const ownM = members(own);
    if (ownM.length === 0) return 0;
    const a = ownM.reduce((s, j) => s + d(i, j), 0) / ownM.length;
    const b = Math.min(...ks.filter((c) => c !== own).map((c) => members(c).reduce((s, j) => s + d(i, j), 0) / members(c).length));
    return (b - a) / Math.max(a, b);
  });
}

describe('silhouette', () => {
  it('equals a brute-force computation, including a singleton cluster and arbitrary label values', () => {
    const rng = new Random(11);
    const x: Matrix = { rows: 61, cols: 3, data: new Float64Array(61 * 3).map(() => rng.normal()) };
    const labels = Array.from({ length: 61 }, (_, i) => (i === 60 ? 99 : [7, -3, 12][i % 3]!));
    const got = silhouetteSamples(x, labels);
    const want = bruteForce(x, labels);
    want.forEach((w, i) => expect(got[i]).toBeCloseTo(w, 12));
    expect(got[60]).toBe(0);
    expect(silhouetteScore(x, labels)).toBeCloseTo(want.reduce((s, v) => s + v, 0) / 61, 12);
  });

  it('knows a hand-computed value', () => {
    // points 0, 1 | 4: a(0)=1, b(0)=4 -> 0.75; a(1)=1, b(1)=3 -> 2/3; singleton -> 0
    expect(silhouetteScore(fromRows([[0], [1], [4]]), [0, 0, 1])).toBeCloseTo((0.75 + 2 / 3) / 3, 12);
  });

  it('is close to 1 on separated blobs and the sampled estimate is close to the exact one', () => {
    const { x, labels } = blobs([[0, 0], [20, 0], [0, 20]], 300, 1, 5);
    const exact = silhouetteScore(x, labels);
    expect(exact).toBeGreaterThan(0.9);
    const sampled = silhouetteSampled(x, labels, 300, 3);
    expect(Math.abs(sampled - exact)).toBeLessThan(0.02);
    expect(silhouetteScore(x, labels, { sampleSize: 300, seed: 3 })).toBe(sampled);
  });

  it('rejects a single cluster, mismatched lengths and NaN', () => {
    const x = fromRows([[0], [1], [2]]);
    expect(() => silhouetteScore(x, [0, 0, 0])).toThrow(/2 <= number of clusters/);
    expect(() => silhouetteScore(x, [0, 1])).toThrow(InvalidInputError);
    expect(() => silhouetteScore(fromRows([[0], [Infinity], [2]]), [0, 1, 1])).toThrow(/non-finite/);
  });

  it('takes milliseconds-to-hundreds of ms at 4.4k points', () => {
    const { x, labels } = blobs(Array.from({ length: 8 }, (_, c) => [c * 3, c % 2, 0, 1, 2, 3, 4, 5]), 550, 1, 1);
    const c0 = process.cpuUsage(); // CPU, not wall time: the test machine may be shared
    silhouetteScore(x, labels);
    const c = process.cpuUsage(c0);
    expect((c.user + c.system) / 1000).toBeLessThan(3000);
  });
});
