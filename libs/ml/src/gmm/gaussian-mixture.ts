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
 * Precomputed per-component quantities for evaluating log N(x | μ, Σ): for 'full' the inverse Cholesky factor
 * P = L⁻¹ (lower triangular, so ||P(x-μ)||² is the Mahalanobis term) and Pμ; for 'diag' the inverse standard deviations.
 */
interface Precision {
  /** k x d x d ('full') or k x d ('diag'). */
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
  const prec = new Float64Array(k * dd);
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
    prec.set(p, c * dd);
    let ld = 0;
    for (let j = 0; j < d; j++) ld += Math.log(p[j * d + j]!);
    logDet[c] = ld;
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j <= i; j++) s += p[i * d + j]! * means[c * d + j]!;
      precMean[c * d + i] = s;
    }
  }
  return { prec, precMean, logDet };
}

/**
 * Weighted log-probabilities log(π_c) + log N(x_i | c) into out (n x k); returns nothing. Row-major, component-inner.
 */
function weightedLogProb(x: Matrix, k: number, type: CovarianceType, pr: Precision, logWeights: Float64Array, out: Float64Array): void {
  const { rows: n, cols: d, data } = x;
  const { prec, precMean, logDet } = pr;
  const base = new Float64Array(k);
  for (let c = 0; c < k; c++) base[c] = logWeights[c]! - 0.5 * d * LOG_2PI + logDet[c]!;
  if (type === 'diag') {
    for (let i = 0; i < n; i++) {
      const io = i * d;
      for (let c = 0; c < k; c++) {
        const co = c * d;
        let m = 0;
        for (let j = 0; j < d; j++) {
          const y = data[io + j]! * prec[co + j]! - precMean[co + j]!;
          m += y * y;
        }
        out[i * k + c] = base[c]! - 0.5 * m;
      }
    }
    return;
  }
  const dd = d * d;
  for (let i = 0; i < n; i++) {
    const io = i * d;
    for (let c = 0; c < k; c++) {
      const po = c * dd;
      const mo = c * d;
      let m = 0;
      for (let r = 0; r < d; r++) {
        const ro = po + r * d;
        let y = -precMean[mo + r]!;
        for (let j = 0; j <= r; j++) y += prec[ro + j]! * data[io + j]!;
        m += y * y;
      }
      out[i * k + c] = base[c]! - 0.5 * m;
    }
  }
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

/** M step from responsibilities (n x k, probabilities, not logs). */
function mStep(x: Matrix, resp: Float64Array, k: number, type: CovarianceType, regCovar: number): Params {
  const { rows: n, cols: d, data } = x;
  const nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    const io = i * d;
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c]!;
      if (r === 0) continue;
      nk[c] += r;
      const co = c * d;
      for (let j = 0; j < d; j++) means[co + j] += r * data[io + j]!;
    }
  }
  for (let c = 0; c < k; c++) {
    nk[c] += 10 * EPS;
    for (let j = 0; j < d; j++) means[c * d + j] /= nk[c]!;
  }
  const diff = new Float64Array(d);
  let cov: Float64Array;
  if (type === 'diag') {
    cov = new Float64Array(k * d);
    for (let i = 0; i < n; i++) {
      const io = i * d;
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c]!;
        if (r < 1e-300) continue;
        const co = c * d;
        for (let j = 0; j < d; j++) {
          const t = data[io + j]! - means[co + j]!;
          cov[co + j] += r * t * t;
        }
      }
    }
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) cov[c * d + j] = cov[c * d + j]! / nk[c]! + regCovar;
  } else {
    const dd = d * d;
    cov = new Float64Array(k * dd);
    for (let i = 0; i < n; i++) {
      const io = i * d;
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c]!;
        if (r < 1e-300) continue;
        const co = c * d;
        for (let j = 0; j < d; j++) diff[j] = data[io + j]! - means[co + j]!;
        const po = c * dd;
        for (let a = 0; a < d; a++) {
          const ra = r * diff[a]!;
          const ao = po + a * d;
          for (let b = 0; b <= a; b++) cov[ao + b] += ra * diff[b]!;
        }
      }
    }
    for (let c = 0; c < k; c++) {
      const po = c * dd;
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) {
          const v = cov[po + a * d + b]! / nk[c]! + (a === b ? regCovar : 0);
          cov[po + a * d + b] = v;
          cov[po + b * d + a] = v;
        }
      }
    }
  }
  const weights = new Float64Array(k);
  for (let c = 0; c < k; c++) weights[c] = nk[c]! / n;
  return { weights, means, cov };
}

function initialResp(x: Matrix, k: number, init: 'kmeans' | 'kmeans++', rng: Random): Float64Array {
  let labels: Int32Array;
  if (init === 'kmeans') {
    labels = kmeans(x, { k, nInit: 1, seed: Math.floor(rng.next() * 2 ** 31) }).labels;
  } else {
    labels = assignNearest(x, kmeansPlusPlus(x, k, rng), k).labels;
  }
  const resp = new Float64Array(x.rows * k);
  for (let i = 0; i < x.rows; i++) resp[i * k + labels[i]!] = 1;
  return resp;
}

/** Gaussian mixture fitted by EM (scikit-learn GaussianMixture semantics), seeded and deterministic. */
export class GaussianMixture {
  private readonly precision: Precision;
  private readonly logWeights: Float64Array;

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
    this.logWeights = weights.map(Math.log);
  }

  static fit(x: Matrix, options: GaussianMixtureOptions): GaussianMixture {
    assertFinite(x, 'Gaussian mixture input');
    const { k, covariance = 'full', nInit = 1, maxIter = 100, tol = 1e-3, regCovar = 1e-6, init = 'kmeans', seed = 0 } = options;
    if (!Number.isInteger(k) || k < 1) throw new InvalidInputError(`Gaussian mixture: k must be a positive integer, got ${k}`);
    if (x.rows < k) throw new InvalidInputError(`Gaussian mixture: k=${k} exceeds the number of rows (${x.rows})`);
    if (covariance !== 'full' && covariance !== 'diag') throw new InvalidInputError(`Gaussian mixture: unknown covariance '${String(covariance)}'`);
    if (!(regCovar >= 0)) throw new InvalidInputError(`Gaussian mixture: regCovar must be >= 0, got ${regCovar}`);
    const n = x.rows;
    const d = x.cols;
    const rng = new Random(seed);
    const logp = new Float64Array(n * k);
    let best: GaussianMixture | null = null;
    for (let run = 0; run < Math.max(1, nInit); run++) {
      const runRng = rng.fork();
      const resp = initialResp(x, k, init, runRng);
      let params = mStep(x, resp, k, covariance, regCovar);
      let lowerBound = -Infinity;
      let converged = false;
      let iterations = 0;
      for (let it = 1; it <= maxIter; it++) {
        iterations = it;
        const prev = lowerBound;
        const pr = computePrecision(k, d, covariance, params.cov, params.means);
        weightedLogProb(x, k, covariance, pr, params.weights.map(Math.log), logp);
        lowerBound = normalizeLogRows(logp, n, k) / n;
        for (let i = 0; i < logp.length; i++) resp[i] = Math.exp(logp[i]!);
        params = mStep(x, resp, k, covariance, regCovar);
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
    weightedLogProb(x, this.k, this.covariance, this.precision, this.logWeights, logp);
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
