import { InvalidInputError, Matrix, fromRows } from '../core/matrix';
import { Random } from '../core/random';
import { kmeans } from '../kmeans/kmeans';
import { adjustedRandIndex } from '../selection/ari';
import { GaussianMixture } from './gaussian-mixture';

/** Planted Gaussians with correlated (full) covariances: x = μ + A z. */
function planted(seed: number, perCluster = 200) {
  const rng = new Random(seed);
  const comps = [
    { mu: [0, 0], a: [[1, 0], [0.8, 0.4]] },
    { mu: [8, 1], a: [[0.5, 0], [0, 1.5]] },
    { mu: [2, 9], a: [[1.2, 0], [-0.6, 0.5]] },
  ];
  const n = comps.length * perCluster;
  const data = new Float64Array(n * 2);
  const labels = new Int32Array(n);
  comps.forEach((c, ci) => {
    for (let p = 0; p < perCluster; p++) {
      const i = ci * perCluster + p;
      const z = [rng.normal(), rng.normal()];
      for (let r = 0; r < 2; r++) data[i * 2 + r] = c.mu[r]! + c.a[r]![0]! * z[0]! + c.a[r]![1]! * z[1]!;
      labels[i] = ci;
    }
  });
  const x: Matrix = { rows: n, cols: 2, data };
  return { x, labels, comps };
}

/**
 * sklearn's EM written plainly (full n x k responsibilities, two-pass means then covariances, 2-D full covariance
 * inverted in closed form) from given hard initial labels: the reference for the single-pass EM.
 */
function referenceEm(x: Matrix, init: Int32Array, k: number, iterations: number, reg: number) {
  const n = x.rows;
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + init[i]!] = 1;
  let w: number[] = [];
  let mu: number[][] = [];
  let cov: number[][] = [];
  let lowerBound = -Infinity;
  const mStep = (): void => {
    w = [];
    mu = [];
    cov = [];
    for (let c = 0; c < k; c++) {
      let nk = 10 * 2.220446049250313e-16;
      const m = [0, 0];
      for (let i = 0; i < n; i++) {
        nk += resp[i * k + c]!;
        for (let j = 0; j < 2; j++) m[j]! += resp[i * k + c]! * x.data[i * 2 + j]!;
      }
      m[0]! /= nk;
      m[1]! /= nk;
      const s = [0, 0, 0];
      for (let i = 0; i < n; i++) {
        const a = x.data[i * 2]! - m[0]!;
        const b = x.data[i * 2 + 1]! - m[1]!;
        s[0]! += resp[i * k + c]! * a * a;
        s[1]! += resp[i * k + c]! * a * b;
        s[2]! += resp[i * k + c]! * b * b;
      }
      w.push(nk / n);
      mu.push(m);
      cov.push([s[0]! / nk + reg, s[1]! / nk, s[2]! / nk + reg]);
    }
  };
  mStep();
  for (let it = 0; it < iterations; it++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const lp = cov.map(([a, b, d], c) => {
        const det = a! * d! - b! * b!;
        const u = x.data[i * 2]! - mu[c]![0]!;
        const v = x.data[i * 2 + 1]! - mu[c]![1]!;
        return Math.log(w[c]!) - Math.log(2 * Math.PI) - 0.5 * Math.log(det) - (0.5 * (d! * u * u - 2 * b! * u * v + a! * v * v)) / det;
      });
      const max = Math.max(...lp);
      const lse = max + Math.log(lp.reduce((acc, v) => acc + Math.exp(v - max), 0));
      total += lse;
      for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(lp[c]! - lse);
    }
    lowerBound = total / n;
    mStep();
  }
  return { weights: w, means: mu.flat(), lowerBound };
}

describe('GaussianMixture', () => {
  it('single-pass EM matches a plain two-pass implementation of the sklearn EM', () => {
    const { x } = planted(11, 150);
    const k = 4;
    // maxIter 6 with an impossible tolerance: exactly 6 EM iterations from the k-means labels the fit draws (its seed's
    // first fork draws the k-means seed)
    const seed = 21;
    const gm = GaussianMixture.fit(x, { k, maxIter: 6, tol: -1, seed });
    const initUsed = kmeans(x, { k, nInit: 1, seed: Math.floor(new Random(seed).fork().next() * 2 ** 31) }).labels;
    const ref = referenceEm(x, initUsed, k, 6, 1e-6);
    expect(gm.iterations).toBe(6);
    expect(gm.lowerBound).toBeCloseTo(ref.lowerBound, 10);
    ref.weights.forEach((w, c) => expect(gm.weights[c]).toBeCloseTo(w, 10));
    ref.means.forEach((m, j) => expect(gm.means[j]).toBeCloseTo(m, 9));
  });

  it.each(['full', 'diag'] as const)('recovers planted Gaussians (%s covariance)', (covariance) => {
    const { x, labels, comps } = planted(1);
    const gm = GaussianMixture.fit(x, { k: 3, covariance, nInit: 2, seed: 3 });
    expect(gm.converged).toBe(true);
    const pred = gm.predict(x);
    expect(adjustedRandIndex(pred, labels)).toBeGreaterThan(0.97);
    for (const c of comps) {
      const dist = Math.min(...[0, 1, 2].map((j) => Math.hypot(gm.means[j * 2]! - c.mu[0]!, gm.means[j * 2 + 1]! - c.mu[1]!)));
      expect(dist).toBeLessThan(0.25);
    }
    for (const w of gm.weights) expect(w).toBeCloseTo(1 / 3, 1);
    const proba = gm.predictProba(x);
    for (let i = 0; i < x.rows; i++) expect(proba.data[i * 3]! + proba.data[i * 3 + 1]! + proba.data[i * 3 + 2]!).toBeCloseTo(1, 12);
  });

  it('full covariance recovers the planted covariance matrix', () => {
    const { x, labels } = planted(2, 2000);
    const gm = GaussianMixture.fit(x, { k: 3, seed: 1 });
    const pred = gm.predict(x);
    const comp = pred[labels.indexOf(0)]!; // fitted component matching planted component 0: Σ = A Aᵀ = [[1, .8], [.8, .8]]
    const cov = gm.covariances.subarray(comp * 4, comp * 4 + 4);
    expect(cov[0]).toBeCloseTo(1, 1);
    expect(cov[1]).toBeCloseTo(0.8, 1);
    expect(cov[2]).toBeCloseTo(0.8, 1);
    expect(cov[3]).toBeCloseTo(0.8, 1);
  });

  it('with k=1 matches the closed-form Gaussian log-likelihood', () => {
    const rng = new Random(4);
    const rows = Array.from({ length: 100 }, () => [rng.normal() * 2 + 1, rng.normal() - 3]);
    const x = fromRows(rows);
    const gm = GaussianMixture.fit(x, { k: 1, regCovar: 0 });
    const mean = [0, 1].map((j) => rows.reduce((s, r) => s + r[j]!, 0) / 100);
    const c = [
      [0, 0],
      [0, 0],
    ];
    for (const r of rows) for (let a = 0; a < 2; a++) for (let b = 0; b < 2; b++) c[a]![b]! += ((r[a]! - mean[a]!) * (r[b]! - mean[b]!)) / 100;
    const det = c[0]![0]! * c[1]![1]! - c[0]![1]! * c[1]![0]!;
    const inv = [
      [c[1]![1]! / det, -c[0]![1]! / det],
      [-c[1]![0]! / det, c[0]![0]! / det],
    ];
    let ll = 0;
    for (const r of rows) {
      const dx = [r[0]! - mean[0]!, r[1]! - mean[1]!];
      const m = dx[0]! * (inv[0]![0]! * dx[0]! + inv[0]![1]! * dx[1]!) + dx[1]! * (inv[1]![0]! * dx[0]! + inv[1]![1]! * dx[1]!);
      ll += -Math.log(2 * Math.PI) - 0.5 * Math.log(det) - 0.5 * m;
    }
    expect(gm.score(x)).toBeCloseTo(ll / 100, 8);
    expect(gm.bic(x)).toBeCloseTo(-2 * ll + 5 * Math.log(100), 6);
    expect(gm.aic(x)).toBeCloseTo(-2 * ll + 10, 6);
  });

  it('BIC prefers the planted number of components', () => {
    const { x } = planted(5);
    const bics = [1, 2, 3, 4, 5].map((k) => GaussianMixture.fit(x, { k, seed: 2 }).bic(x));
    expect(bics.indexOf(Math.min(...bics))).toBe(2);
  });

  it('is deterministic for a seed and round-trips through JSON', () => {
    const { x } = planted(6);
    const a = GaussianMixture.fit(x, { k: 4, nInit: 3, seed: 9 });
    const b = GaussianMixture.fit(x, { k: 4, nInit: 3, seed: 9 });
    expect(Array.from(a.means)).toEqual(Array.from(b.means));
    const c = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(a.toJSON())));
    expect(Array.from(c.predictProba(x).data)).toEqual(Array.from(a.predictProba(x).data));
    expect(c.nParameters()).toBe(4 * 3 + 4 * 2 + 3);
    expect(() => GaussianMixture.fromJSON({ ...a.toJSON(), means: [[1]] })).toThrow(InvalidInputError);
  });

  it('handles a constant feature thanks to regCovar, and kmeans++ init', () => {
    const { x, labels } = planted(7);
    const wide: Matrix = { rows: x.rows, cols: 3, data: new Float64Array(x.rows * 3) };
    for (let i = 0; i < x.rows; i++) wide.data.set([x.data[i * 2]!, 4, x.data[i * 2 + 1]!], i * 3);
    for (const init of ['kmeans', 'kmeans++'] as const) {
      const gm = GaussianMixture.fit(wide, { k: 3, init, nInit: 3, seed: 1 });
      expect(adjustedRandIndex(gm.predict(wide), labels)).toBeGreaterThan(0.95);
      expect(gm.covariances[4]).toBeCloseTo(1e-6, 12); // the constant column's variance is exactly regCovar
    }
  });

  it('rejects k above the distinct points, NaN/Infinity and mismatched columns', () => {
    const x = fromRows([[0, 0], [0, 0], [1, 1], [1, 1]]);
    expect(() => GaussianMixture.fit(x, { k: 3 })).toThrow(/exceeds the number of distinct points \(2\)/);
    expect(() => GaussianMixture.fit(fromRows([[0, NaN], [1, 1]]), { k: 1 })).toThrow(/non-finite value \(NaN\) at row 0, column 1/);
    expect(() => GaussianMixture.fit(fromRows([[0, 1], [1, -Infinity]]), { k: 1 })).toThrow(InvalidInputError);
    const gm = GaussianMixture.fit(x, { k: 2 });
    expect(() => gm.predict(fromRows([[1, 2, 3]]))).toThrow(/3 columns, the model 2/);
  });
});
