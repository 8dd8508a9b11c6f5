import { InvalidInputError, Matrix, assertFinite, matrix } from '../core/matrix';
import { Random } from '../core/random';
import { assignNearest, kmeans, kmeansPlusPlus } from '../kmeans/kmeans';
import { choleskyInPlace, invertLower } from '../linalg/cholesky';

export type CovarianceType = 'full' | 'diag';

export interface GaussianMixtureOptions {
  k: number;
  /** 'full' (one d x d covariance per component, default) or 'diag'. */
  covariance?: CovarianceType;
  /** EM restarts; the one with the highest log-likelihood lower bound wins. Default 1 (as sklearn). */
  nInit?: number;
  /** EM iterations per restart. Default 100. */
  maxIter?: number;
  /** Convergence when the mean log-likelihood per sample changes by less than tol. Default 1e-3. */
  tol?: number;
  /** Added to the covariance diagonals so they stay positive definite. Default 1e-6. */
  regCovar?: number;
  /**
   * 'kmeans' (default, as sklearn): responsibilities from a k-means fit seeded by k-means++;
   * 'kmeans++': responsibilities from the nearest k-means++ seed, no Lloyd iterations.
   */
  init?: 'kmeans' | 'kmeans++';
  seed?: number;
}

export interface GaussianMixtureJson {
  kind: 'gaussian-mixture';
  version: 1;
  k: number;
  dims: number;
  covariance: CovarianceType;
  weights: number[];
  means: number[][];
  /** Per component: the d x d matrix row-major ('full') or the d variances ('diag'). */
  covariances: number[][];
  converged: boolean;
  iterations: number;
  lowerBound: number;
}

const LOG_2PI = Math.log(2 * Math.PI);
const EPS = 2.220446049250313e-16;
/**
 * Components whose weighted log density at a row is more than this below the row's best get no responsibility for
 * it (theirs is < e^-40 ≈ 4e-18 of the best one's): below half an ulp of the row's total, so the log-likelihood is
 * unchanged, and the M step's sums change by less than that relative amount. Skipping them saves the exp and the
 * statistics of most (row, component) pairs once the components have separated.
 */
const NEGLIGIBLE_LOG_RESP = 40;

/**
 * Precomputed per-component quantities for evaluating log N(x | μ, Σ): for 'full' the inverse Cholesky factor
 * P = L⁻¹ (lower triangular, so ||P(x-μ)||² is the Mahalanobis term) packed row by row (d(d+1)/2 values per
 * component) and Pμ; for 'diag' the inverse standard deviations and μ / σ.
 */
interface Precision {
  /** k x d(d+1)/2 packed lower triangles ('full') or k x d ('diag'). */
  prec: Float64Array;
  /** k x d: P μ ('full') or μ / σ ('diag'). */
  precMean: Float64Array;
  /** per component: log det P  (= -0.5 log det Σ). */
  logDet: Float64Array;
}

function computePrecision(k: number, d: number, type: CovarianceType, cov: Float64Array, means: Float64Array): Precision {
  const logDet = new Float64Array(k);
  const precMean = new Float64Array(k * d);
  if (type === 'diag') {
    const prec = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      let ld = 0;
      for (let j = 0; j < d; j++) {
        const v = cov[c * d + j]!;
        if (!(v > 0)) throw new InvalidInputError(`Gaussian mixture: component ${c} has a non-positive variance; increase regCovar or reduce k`);
        const p = 1 / Math.sqrt(v);
        prec[c * d + j] = p;
        precMean[c * d + j] = means[c * d + j]! * p;
        ld += Math.log(p);
      }
      logDet[c] = ld;
    }
    return { prec, precMean, logDet };
  }
  const dd = d * d;
  const tri = (d * (d + 1)) / 2;
  const prec = new Float64Array(k * tri);
  const l = new Float64Array(dd);
  for (let c = 0; c < k; c++) {
    l.set(cov.subarray(c * dd, c * dd + dd));
    if (!choleskyInPlace(l, d)) {
      throw new InvalidInputError(
        `Gaussian mixture: component ${c} has an ill-defined covariance (not positive definite); ` +
          'reduce k, remove duplicate/constant data or increase regCovar',
      );
    }
    const p = invertLower(l, d);
    let ld = 0;
    for (let j = 0; j < d; j++) ld += Math.log(p[j * d + j]!);
    logDet[c] = ld;
    let q = c * tri;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) {
        prec[q++] = p[i * d + j]!;
        s += p[i * d + j]! * means[c * d + j]!;
      }
      precMean[c * d + i] = s;
    }
  }
  return { prec, precMean, logDet };
}

/** Per component: log π_c - d/2 log 2π + log det P_c, the part of log π_c N(x | c) that does not depend on x. */
function logProbBase(k: number, d: number, pr: Precision, weights: Float64Array): Float64Array {
  const base = new Float64Array(k);
  for (let c = 0; c < k; c++) base[c] = Math.log(weights[c]!) - 0.5 * d * LOG_2PI + pr.logDet[c]!;
  return base;
}

/** log π_c + log N(x | c) of one row (data[io .. io + d)) for every component, into out[oo .. oo + k). */
function rowLogProb(data: Float64Array, io: number, d: number, k: number, type: CovarianceType, pr: Precision, base: Float64Array, out: Float64Array, oo: number): void {
  const { prec, precMean } = pr;
  if (type === 'diag') {
    for (let c = 0; c < k; c++) {
      const co = c * d;
      let m = 0;
      for (let j = 0; j < d; j++) {
        const y = data[io + j]! * prec[co + j]! - precMean[co + j]!;
        m += y * y;
      }
      out[oo + c] = base[c]! - 0.5 * m;
    }
    return;
  }
  let q = 0;
  for (let c = 0; c < k; c++) {
    const mo = c * d;
    let m = 0;
    for (let r = 0; r < d; r++) {
      let y = -precMean[mo + r]!;
      for (let j = 0; j <= r; j++) y += prec[q++]! * data[io + j]!;
      m += y * y;
    }
    out[oo + c] = base[c]! - 0.5 * m;
  }
}

/** Weighted log-probabilities log(π_c) + log N(x_i | c) into out (n x k), row-major, component-inner. */
function weightedLogProb(x: Matrix, k: number, type: CovarianceType, pr: Precision, weights: Float64Array, out: Float64Array): void {
  const { rows: n, cols: d, data } = x;
  const base = logProbBase(k, d, pr, weights);
  for (let i = 0; i < n; i++) rowLogProb(data, i * d, d, k, type, pr, base, out, i * k);
}

/** In place: each row of logp (n x k) becomes log responsibilities; returns the sum over rows of log Σ_c exp. */
function normalizeLogRows(logp: Float64Array, n: number, k: number, perSample?: Float64Array): number {
  let total = 0;
  for (let i = 0; i < n; i++) {
    const o = i * k;
    let max = -Infinity;
    for (let c = 0; c < k; c++) if (logp[o + c]! > max) max = logp[o + c]!;
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp(logp[o + c]! - max);
    const lse = max + Math.log(s);
    for (let c = 0; c < k; c++) logp[o + c] -= lse;
    if (perSample) perSample[i] = lse;
    total += lse;
  }
  return total;
}

interface Params {
  weights: Float64Array;
  means: Float64Array;
  cov: Float64Array;
}

/**
 * Turns sufficient statistics gathered around reference points `ref` (k x d) into parameters: with y = x - ref_c,
 * nk = Σ r, s1 = Σ r y, s2 = Σ r y yᵀ (packed lower triangle for 'full', diagonal for 'diag'), the mean is
 * ref_c + s1 / nk and the covariance s2 / nk - δ δᵀ (δ = s1 / nk) plus regCovar on the diagonal. With ref_c close to
 * the mean (the previous iteration's mean, or the exact mean at the start) δ is small, so nothing cancels.
 * nk gets sklearn's 10 ε so that an empty component divides by a positive number.
 */
function paramsFromStats(n: number, d: number, k: number, type: CovarianceType, regCovar: number, ref: Float64Array, nk: Float64Array, s1: Float64Array, s2: Float64Array): Params {
  const means = new Float64Array(k * d);
  const delta = new Float64Array(d);
  const weights = new Float64Array(k);
  const tri = (d * (d + 1)) / 2;
  const cov = new Float64Array(type === 'full' ? k * d * d : k * d);
  for (let c = 0; c < k; c++) {
    const nc = nk[c]! + 10 * EPS;
    weights[c] = nc / n;
    for (let j = 0; j < d; j++) {
      delta[j] = s1[c * d + j]! / nc;
      means[c * d + j] = ref[c * d + j]! + delta[j]!;
    }
    if (type === 'diag') {
      for (let j = 0; j < d; j++) cov[c * d + j] = Math.max(0, s2[c * d + j]! / nc - delta[j]! * delta[j]!) + regCovar;
      continue;
    }
    const po = c * d * d;
    let q = c * tri;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        let v = s2[q++]! / nc - delta[a]! * delta[b]!;
        if (a === b) v = Math.max(0, v) + regCovar;
        cov[po + a * d + b] = v;
        cov[po + b * d + a] = v;
      }
    }
  }
  return { weights, means, cov };
}

/** Adds r (x - ref) and r (x - ref)(x - ref)ᵀ of one row to component c's statistics (y: scratch of length d). */
function accumulate(data: Float64Array, io: number, d: number, c: number, r: number, type: CovarianceType, ref: Float64Array, nk: Float64Array, s1: Float64Array, s2: Float64Array, y: Float64Array): void {
  nk[c] += r;
  const co = c * d;
  for (let j = 0; j < d; j++) {
    const v = data[io + j]! - ref[co + j]!;
    y[j] = v;
    s1[co + j] += r * v;
  }
  if (type === 'diag') {
    for (let j = 0; j < d; j++) s2[co + j] += r * y[j]! * y[j]!;
    return;
  }
  let q = (c * d * (d + 1)) / 2;
  for (let a = 0; a < d; a++) {
    const ra = r * y[a]!;
    for (let b = 0; b <= a; b++) s2[q++] += ra * y[b]!;
  }
}

/** M step from hard labels (the initialisation): exact means first, then statistics around them. */
function mStepFromLabels(x: Matrix, labels: Int32Array, k: number, type: CovarianceType, regCovar: number): Params {
  const { rows: n, cols: d, data } = x;
  const nk = new Float64Array(k);
  const ref = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const c = labels[i]!;
    nk[c]++;
    for (let j = 0; j < d; j++) ref[c * d + j] += data[i * d + j]!;
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) ref[c * d + j] /= nk[c]! + 10 * EPS;
  nk.fill(0);
  const s1 = new Float64Array(k * d);
  const s2 = new Float64Array(type === 'full' ? (k * d * (d + 1)) / 2 : k * d);
  const y = new Float64Array(d);
  for (let i = 0; i < n; i++) accumulate(data, i * d, d, labels[i]!, 1, type, ref, nk, s1, s2, y);
  return paramsFromStats(n, d, k, type, regCovar, ref, nk, s1, s2);
}

/**
 * One EM iteration in a single pass over the rows: each row's responsibilities under `params` (E step) go straight
 * into the M step's statistics, so no n x k matrix is stored. Returns the mean log-likelihood under `params`
 * (sklearn's lower bound) and the updated parameters.
 */
function emStep(x: Matrix, k: number, type: CovarianceType, regCovar: number, params: Params): { lowerBound: number; params: Params } {
  const { rows: n, cols: d, data } = x;
  const pr = computePrecision(k, d, type, params.cov, params.means);
  const base = logProbBase(k, d, pr, params.weights);
  const ref = params.means;
  const nk = new Float64Array(k);
  const s1 = new Float64Array(k * d);
  const s2 = new Float64Array(type === 'full' ? (k * d * (d + 1)) / 2 : k * d);
  const lp = new Float64Array(k);
  const y = new Float64Array(d);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const io = i * d;
    rowLogProb(data, io, d, k, type, pr, base, lp, 0);
    let max = -Infinity;
    for (let c = 0; c < k; c++) if (lp[c]! > max) max = lp[c]!;
    const cut = max - NEGLIGIBLE_LOG_RESP;
    let s = 0;
    for (let c = 0; c < k; c++) {
      const v = lp[c]!;
      if (v > cut) {
        const e = Math.exp(v - max);
        lp[c] = e;
        s += e;
      } else {
        lp[c] = 0;
      }
    }
    total += max + Math.log(s);
    const inv = 1 / s;
    for (let c = 0; c < k; c++) {
      const e = lp[c]!;
      if (e > 0) accumulate(data, io, d, c, e * inv, type, ref, nk, s1, s2, y);
    }
  }
  return { lowerBound: total / n, params: paramsFromStats(n, d, k, type, regCovar, ref, nk, s1, s2) };
}

function initialLabels(x: Matrix, k: number, init: 'kmeans' | 'kmeans++', rng: Random): Int32Array {
  if (init === 'kmeans') return kmeans(x, { k, nInit: 1, seed: Math.floor(rng.next() * 2 ** 31) }).labels;
  return assignNearest(x, kmeansPlusPlus(x, k, rng), k).labels;
}

/** Gaussian mixture fitted by EM (scikit-learn GaussianMixture semantics), seeded and deterministic. */
export class GaussianMixture {
  private readonly precision: Precision;

  private constructor(
    readonly k: number,
    readonly dims: number,
    readonly covariance: CovarianceType,
    /** Mixing weights (k). */
    readonly weights: Float64Array,
    /** k x dims. */
    readonly means: Float64Array,
    /** k x dims x dims ('full') or k x dims ('diag'). */
    readonly covariances: Float64Array,
    readonly converged: boolean,
    readonly iterations: number,
    /** Mean log-likelihood per training sample at the end of the fit. */
    readonly lowerBound: number,
  ) {
    this.precision = computePrecision(k, dims, covariance, covariances, means);
  }

  static fit(x: Matrix, options: GaussianMixtureOptions): GaussianMixture {
    assertFinite(x, 'Gaussian mixture input');
    const { k, covariance = 'full', nInit = 1, maxIter = 100, tol = 1e-3, regCovar = 1e-6, init = 'kmeans', seed = 0 } = options;
    if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`Gaussian mixture: k must be a positive integer, got ${k}`);
    if (x.rows < k) throw new InvalidInputError(`Gaussian mixture: k=${k} exceeds the number of rows (${x.rows})`);
    if (covariance !== 'full' && covariance !== 'diag') throw new InvalidInputError(`Gaussian mixture: unknown covariance '${String(covariance)}'`);
    if (!(regCovar >= 0)) throw new InvalidInputError(`Gaussian mixture: regCovar must be >= 0, got ${regCovar}`);
    const d = x.cols;
    const rng = new Random(seed);
    let best: GaussianMixture | null = null;
    for (let run = 0; run < Math.max(1, nInit); run++) {
      const runRng = rng.fork();
      let params = mStepFromLabels(x, initialLabels(x, k, init, runRng), k, covariance, regCovar);
      let lowerBound = -Infinity;
      let converged = false;
      let iterations = 0;
      for (let it = 1; it <= maxIter; it++) {
        iterations = it;
        const prev = lowerBound;
        const step = emStep(x, k, covariance, regCovar, params);
        lowerBound = step.lowerBound;
        params = step.params;
        if (Math.abs(lowerBound - prev) < tol) {
          converged = true;
          break;
        }
      }
      if (!best || lowerBound > best.lowerBound) {
        best = new GaussianMixture(k, d, covariance, params.weights, params.means, params.cov, converged, iterations, lowerBound);
      }
    }
    return best!;
  }

  private check(x: Matrix): void {
    assertFinite(x, 'Gaussian mixture input');
    if (x.cols !== this.dims) throw new InvalidInputError(`Gaussian mixture: input has ${x.cols} columns, the model ${this.dims}`);
  }

  /** Log responsibilities (n x k) and per-sample log-likelihoods. */
  private logResp(x: Matrix): { logp: Float64Array; perSample: Float64Array } {
    this.check(x);
    const logp = new Float64Array(x.rows * this.k);
    weightedLogProb(x, this.k, this.covariance, this.precision, this.weights, logp);
    const perSample = new Float64Array(x.rows);
    normalizeLogRows(logp, x.rows, this.k, perSample);
    return { logp, perSample };
  }

  /** Posterior probabilities (n x k). */
  predictProba(x: Matrix): Matrix {
    const { logp } = this.logResp(x);
    for (let i = 0; i < logp.length; i++) logp[i] = Math.exp(logp[i]!);
    return matrix(x.rows, this.k, logp);
  }

  /** Most probable component per row (ties to the lower index). */
  predict(x: Matrix): Int32Array {
    const { logp } = this.logResp(x);
    const k = this.k;
    const labels = new Int32Array(x.rows);
    for (let i = 0; i < x.rows; i++) {
      let b = 0;
      for (let c = 1; c < k; c++) if (logp[i * k + c]! > logp[i * k + b]!) b = c;
      labels[i] = b;
    }
    return labels;
  }

  /** log p(x_i) per row. */
  scoreSamples(x: Matrix): Float64Array {
    return this.logResp(x).perSample;
  }

  /** Mean log-likelihood per row. */
  score(x: Matrix): number {
    const s = this.scoreSamples(x);
    let t = 0;
    for (const v of s) t += v;
    return t / s.length;
  }

  /** Number of free parameters (sklearn's _n_parameters). */
  nParameters(): number {
    const { k, dims: d } = this;
    const covParams = this.covariance === 'full' ? (k * d * (d + 1)) / 2 : k * d;
    return covParams + k * d + k - 1;
  }

  /** Bayesian information criterion on x (lower is better). */
  bic(x: Matrix): number {
    return -2 * this.score(x) * x.rows + this.nParameters() * Math.log(x.rows);
  }

  /** Akaike information criterion on x (lower is better). */
  aic(x: Matrix): number {
    return -2 * this.score(x) * x.rows + 2 * this.nParameters();
  }

  toJSON(): GaussianMixtureJson {
    const { k, dims: d } = this;
    const cs = this.covariance === 'full' ? d * d : d;
    return {
      kind: 'gaussian-mixture',
      version: 1,
      k,
      dims: d,
      covariance: this.covariance,
      weights: Array.from(this.weights),
      means: Array.from({ length: k }, (_, c) => Array.from(this.means.subarray(c * d, c * d + d))),
      covariances: Array.from({ length: k }, (_, c) => Array.from(this.covariances.subarray(c * cs, c * cs + cs))),
      converged: this.converged,
      iterations: this.iterations,
      lowerBound: this.lowerBound,
    };
  }

  static fromJSON(json: GaussianMixtureJson): GaussianMixture {
    if (json?.kind !== 'gaussian-mixture' || json.version !== 1) throw new InvalidInputError('not a version 1 Gaussian mixture document');
    const { k, dims: d, covariance } = json;
    const cs = covariance === 'full' ? d * d : d;
    if (json.weights.length !== k || json.means.length !== k || json.covariances.length !== k) {
      throw new InvalidInputError(`Gaussian mixture document: expected ${k} weights, means and covariances`);
    }
    const means = new Float64Array(k * d);
    const cov = new Float64Array(k * cs);
    json.means.forEach((m, c) => {
      if (m.length !== d) throw new InvalidInputError(`Gaussian mixture document: mean ${c} has ${m.length} values, expected ${d}`);
      means.set(m, c * d);
    });
    json.covariances.forEach((m, c) => {
      if (m.length !== cs) throw new InvalidInputError(`Gaussian mixture document: covariance ${c} has ${m.length} values, expected ${cs}`);
      cov.set(m, c * cs);
    });
    return new GaussianMixture(k, d, covariance, Float64Array.from(json.weights), means, cov, json.converged, json.iterations, json.lowerBound);
  }
}
