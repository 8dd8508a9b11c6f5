import { studentTQuantile } from './distributions';
import { InsufficientDataError } from './hypothesis-tests';

/**
 * Damped-trend Holt exponential smoothing (ETS(A,Ad,N) in Hyndman's taxonomy) for short monthly series:
 *   level_t = α·y_t + (1 − α)(level_{t−1} + φ·trend_{t−1})
 *   trend_t = β·(level_t − level_{t−1}) + (1 − β)·φ·trend_{t−1}
 *   ŷ_{t+h} = level_t + (φ + φ² + … + φ^h)·trend_t
 * Parameters (α, β, φ) are picked by grid search minimising the one-step-ahead squared error; φ = 1 is plain Holt.
 * The prediction interval uses the residual standard deviation and the ETS(A,Ad,N) variance multiplier
 *   Var(h) = σ²·(1 + Σ_{j=1}^{h−1} c_j²),  c_j = α·(1 + β·(φ + … + φ^j)),
 * with a Student-t quantile on the residual degrees of freedom (wider than normal for a dozen points: deliberate).
 * With about a year of monthly data there is no second seasonal cycle, so no seasonal term can be estimated or
 * validated; the backtest below says how good (or not) the result is.
 */
export interface HoltParams {
  alpha: number;
  beta: number;
  phi: number;
}

export interface HoltFit extends HoltParams {
  n: number;
  level: number;
  trend: number;
  /** One-step-ahead residuals y_t − ŷ_{t|t−1}, for t >= 2. */
  residuals: number[];
  /** Residual standard deviation (SSE / (residuals − 2)). */
  sigma: number;
  /** Degrees of freedom behind sigma. */
  dof: number;
}

export interface ForecastPoint {
  /** Steps ahead (1 = next period). */
  h: number;
  mean: number;
  lower: number;
  upper: number;
}

export interface ForecastOptions {
  horizon: number;
  /** Prediction interval level, e.g. 0.8 or 0.95. */
  level?: number;
  /** Clamp the forecast and lower bound at zero (revenue cannot be negative). */
  nonNegative?: boolean;
  /** Fixed parameters instead of the grid search. */
  params?: HoltParams;
}

export type ForecastMethod = 'naive' | 'drift' | 'holt-damped';

export interface Forecast {
  method: ForecastMethod;
  /** Holt's parameters (holt-damped only). */
  params?: HoltParams;
  sigma: number;
  level: number;
  points: ForecastPoint[];
}

const ALPHAS = Array.from({ length: 20 }, (_, i) => (i + 1) / 20);
const BETAS = Array.from({ length: 21 }, (_, i) => i / 20);
const PHIS = [0.8, 0.85, 0.9, 0.95, 0.98, 1];

function run(y: readonly number[], p: HoltParams): { level: number; trend: number; residuals: number[] } {
  // t = 0, 1 initialise level and trend; from t = 2 on, every forecast is a genuine one-step-ahead forecast.
  let level = y[1]!;
  let trend = y[1]! - y[0]!;
  const residuals: number[] = [];
  for (let t = 2; t < y.length; t++) {
    const forecast = level + p.phi * trend;
    residuals.push(y[t]! - forecast);
    const newLevel = p.alpha * y[t]! + (1 - p.alpha) * forecast;
    trend = p.beta * (newLevel - level) + (1 - p.beta) * p.phi * trend;
    level = newLevel;
  }
  return { level, trend, residuals };
}

export function fitHolt(series: readonly number[], params?: HoltParams): HoltFit {
  const y = series;
  if (y.length < 4) throw new InsufficientDataError(`Holt forecast needs >= 4 observations (got ${y.length})`);
  if (y.some((v) => !Number.isFinite(v))) throw new InsufficientDataError('Holt forecast: series has non-finite values');
  let best: HoltParams = params ?? { alpha: 0.5, beta: 0.1, phi: 0.9 };
  if (!params) {
    let bestSse = Infinity;
    for (const phi of PHIS)
      for (const alpha of ALPHAS)
        for (const beta of BETAS) {
          const { residuals } = run(y, { alpha, beta, phi });
          let sse = 0;
          for (const r of residuals) sse += r * r;
          // strict '<' keeps the first (smoothest) parameters on ties: deterministic
          if (bestSse === Infinity || sse < bestSse - 1e-9 * Math.max(1, bestSse)) {
            bestSse = sse;
            best = { alpha, beta, phi };
          }
        }
  }
  const { level, trend, residuals } = run(y, best);
  const dof = Math.max(1, residuals.length - 2);
  const sse = residuals.reduce((s, r) => s + r * r, 0);
  return { ...best, n: y.length, level, trend, residuals, sigma: Math.sqrt(sse / dof), dof };
}

/** Point forecasts and prediction intervals from a fit. */
export function forecastFromFit(fit: HoltFit, options: ForecastOptions): Forecast {
  const level = options.level ?? 0.8;
  const q = studentTQuantile(1 - (1 - level) / 2, fit.dof);
  const points: ForecastPoint[] = [];
  let phiSum = 0;
  let varMultiplier = 1;
  let phiJ = 0;
  for (let h = 1; h <= options.horizon; h++) {
    phiSum += fit.phi ** h;
    if (h >= 2) {
      phiJ += fit.phi ** (h - 1);
      const c = fit.alpha * (1 + fit.beta * phiJ);
      varMultiplier += c * c;
    }
    let mean = fit.level + phiSum * fit.trend;
    const half = q * fit.sigma * Math.sqrt(varMultiplier);
    let lower = mean - half;
    let upper = mean + half;
    if (options.nonNegative) {
      mean = Math.max(0, mean);
      lower = Math.max(0, lower);
      upper = Math.max(0, upper);
    }
    points.push({ h, mean, lower, upper });
  }
  return { method: 'holt-damped', params: { alpha: fit.alpha, beta: fit.beta, phi: fit.phi }, sigma: fit.sigma, level, points };
}

export function holtForecast(series: readonly number[], options: ForecastOptions): Forecast {
  return forecastFromFit(fitHolt(series, options.params), options);
}

/** Naive forecast: the last value, interval from the one-step differences (random walk), Var(h) = h·σ². */
export function naiveForecast(series: readonly number[], options: ForecastOptions): Forecast {
  const y = series;
  if (y.length < 3) throw new InsufficientDataError(`naive forecast needs >= 3 observations (got ${y.length})`);
  const diffs = y.slice(1).map((v, i) => v - y[i]!);
  const dof = diffs.length;
  const sigma = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / dof);
  return pointsFrom('naive', y[y.length - 1]!, 0, sigma, dof, (h) => h, options);
}

/**
 * Random walk with drift: last value plus the average change, Var(h) = σ²·h·(1 + h/(n − 1)) (the drift's own
 * uncertainty included), σ from the one-step differences around the drift.
 */
export function driftForecast(series: readonly number[], options: ForecastOptions): Forecast {
  const y = series;
  const n = y.length;
  if (n < 3) throw new InsufficientDataError(`drift forecast needs >= 3 observations (got ${n})`);
  const drift = (y[n - 1]! - y[0]!) / (n - 1);
  const diffs = y.slice(1).map((v, i) => v - y[i]! - drift);
  const dof = Math.max(1, diffs.length - 1);
  const sigma = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0) / dof);
  return pointsFrom('drift', y[n - 1]!, drift, sigma, dof, (h) => h * (1 + h / (n - 1)), options);
}

function pointsFrom(
  method: ForecastMethod,
  last: number,
  slope: number,
  sigma: number,
  dof: number,
  varMultiplier: (h: number) => number,
  options: ForecastOptions,
): Forecast {
  const level = options.level ?? 0.8;
  const q = studentTQuantile(1 - (1 - level) / 2, dof);
  const points: ForecastPoint[] = [];
  for (let h = 1; h <= options.horizon; h++) {
    let mean = last + slope * h;
    const half = q * sigma * Math.sqrt(varMultiplier(h));
    let lower = mean - half;
    let upper = mean + half;
    if (options.nonNegative) {
      mean = Math.max(0, mean);
      lower = Math.max(0, lower);
      upper = Math.max(0, upper);
    }
    points.push({ h, mean, lower, upper });
  }
  return { method, sigma, level, points };
}

export const FORECAST_METHODS: readonly ForecastMethod[] = ['naive', 'drift', 'holt-damped'];

/**
 * Below this many observations, automatic selection only considers the one-parameter benchmarks (naive, drift):
 * Holt's three smoothing parameters fitted on a dozen points overfit, and short series are where simple methods
 * are known to forecast best.
 */
export const HOLT_MIN_OBSERVATIONS = 18;

/** Minimum observations each method needs to be fitted. */
const MIN_FIT: Record<ForecastMethod, number> = { naive: 3, drift: 3, 'holt-damped': 4 };

export function forecastWith(method: ForecastMethod, series: readonly number[], options: ForecastOptions): Forecast {
  switch (method) {
    case 'naive':
      return naiveForecast(series, options);
    case 'drift':
      return driftForecast(series, options);
    case 'holt-damped':
      return holtForecast(series, options);
  }
}

export interface MethodSelection {
  method: ForecastMethod;
  /** Mean absolute one-step error of each candidate over rolling origins inside the series. */
  scores: Partial<Record<ForecastMethod, number>>;
  /** Number of one-step forecasts each score averages. */
  origins: number;
}

/**
 * Picks a method by time-series cross-validation inside `series` only: every candidate forecasts one step ahead
 * from each origin t = minTrain..n−1 using the values before t; lowest mean absolute error wins (ties: the simpler
 * method, in FORECAST_METHODS order). Candidates default to naive and drift, plus damped Holt from
 * HOLT_MIN_OBSERVATIONS on. Too short a series gives the naive method.
 */
export function selectForecastMethod(
  series: readonly number[],
  options: { minTrain?: number; candidates?: readonly ForecastMethod[] } = {},
): MethodSelection {
  const candidates = options.candidates ?? (series.length >= HOLT_MIN_OBSERVATIONS ? FORECAST_METHODS : (['naive', 'drift'] as const));
  const minTrain = Math.max(options.minTrain ?? 5, ...candidates.map((m) => MIN_FIT[m]));
  const scores: Partial<Record<ForecastMethod, number>> = {};
  const origins = Math.max(0, series.length - minTrain);
  if (origins < 2) return { method: 'naive', scores, origins };
  let best: ForecastMethod = candidates[0]!;
  for (const method of candidates) {
    let err = 0;
    for (let t = minTrain; t < series.length; t++) {
      err += Math.abs(series[t]! - forecastWith(method, series.slice(0, t), { horizon: 1 }).points[0]!.mean);
    }
    scores[method] = err / origins;
    if (scores[method]! < scores[best]! - 1e-9 * Math.max(1, Math.abs(scores[best]!))) best = method;
  }
  return { method: best, scores, origins };
}

/** Selects a method on the series (selectForecastMethod) and forecasts with it. */
export function autoForecast(series: readonly number[], options: ForecastOptions & { minTrain?: number }): Forecast & { selection: MethodSelection } {
  const selection = selectForecastMethod(series, { minTrain: options.minTrain });
  return { ...forecastWith(selection.method, series, options), selection };
}

export interface BacktestCase {
  /** Index of the forecast period in the series. */
  index: number;
  /** Steps ahead from the forecast origin. */
  h: number;
  actual: number;
  forecast: number;
  lower: number;
  upper: number;
  /** Naive (last observed value) forecast from the same origin. */
  naive: number;
  covered: boolean;
  /** Method used from this origin ('auto' re-selects at every origin, on the training part only). */
  method: ForecastMethod;
}

export interface BacktestSummary {
  cases: BacktestCase[];
  /** Mean absolute percentage error (%) of the model over the cases (actual values of 0 are skipped). */
  mape: number;
  /** The naive forecast's MAPE on the same cases: the model should beat it to be worth showing. */
  naiveMape: number;
  /** Share of actual values inside the prediction interval (nominal: `level`). */
  coverage: number;
  level: number;
}

export interface Backtest {
  /** Rolling origin, one step ahead: fit on [0, i), forecast i, for each of the last `holdout` periods. */
  oneStep: BacktestSummary;
  /** Single origin: fit on the first n − holdout periods, forecast all `holdout` periods (h = 1..holdout). */
  multiStep: BacktestSummary;
  holdout: number;
}

function summarise(cases: BacktestCase[], level: number): BacktestSummary {
  const pct = (f: (c: BacktestCase) => number) => {
    const usable = cases.filter((c) => c.actual !== 0);
    if (!usable.length) return NaN;
    return (100 * usable.reduce((s, c) => s + Math.abs((c.actual - f(c)) / c.actual), 0)) / usable.length;
  };
  return {
    cases,
    mape: pct((c) => c.forecast),
    naiveMape: pct((c) => c.naive),
    coverage: cases.length ? cases.filter((c) => c.covered).length / cases.length : NaN,
    level,
  };
}

/**
 * Validates a forecasting procedure on held-out periods (the last `holdout` values), never looking at them when
 * fitting or selecting. `method: 'auto'` evaluates the whole procedure: selection and fit on each training part.
 */
export function backtestForecast(
  series: readonly number[],
  holdout: number,
  options: { level?: number; nonNegative?: boolean; method?: ForecastMethod | 'auto'; minTrain?: number } = {},
): Backtest {
  const level = options.level ?? 0.8;
  const method = options.method ?? 'holt-damped';
  const n = series.length;
  if (holdout < 1 || n - holdout < 4) {
    throw new InsufficientDataError(`backtest needs >= 4 training periods before ${holdout} held-out ones (series has ${n})`);
  }
  const run = (train: readonly number[], horizon: number) =>
    method === 'auto'
      ? autoForecast(train, { horizon, level, nonNegative: options.nonNegative, minTrain: options.minTrain })
      : forecastWith(method, train, { horizon, level, nonNegative: options.nonNegative });
  const oneStep: BacktestCase[] = [];
  for (let i = n - holdout; i < n; i++) {
    const train = series.slice(0, i);
    const fc = run(train, 1);
    const p = fc.points[0]!;
    const actual = series[i]!;
    oneStep.push({
      index: i,
      h: 1,
      actual,
      forecast: p.mean,
      lower: p.lower,
      upper: p.upper,
      naive: train[train.length - 1]!,
      covered: actual >= p.lower && actual <= p.upper,
      method: fc.method,
    });
  }
  const origin = n - holdout;
  const train = series.slice(0, origin);
  const fc = run(train, holdout);
  const multiStep = fc.points.map((p) => {
    const actual = series[origin + p.h - 1]!;
    return {
      index: origin + p.h - 1,
      h: p.h,
      actual,
      forecast: p.mean,
      lower: p.lower,
      upper: p.upper,
      naive: train[train.length - 1]!,
      covered: actual >= p.lower && actual <= p.upper,
      method: fc.method,
    };
  });
  return { oneStep: summarise(oneStep, level), multiStep: summarise(multiStep, level), holdout };
}

/** backtestForecast with the damped Holt method. */
export function backtestHolt(series: readonly number[], holdout: number, options: { level?: number; nonNegative?: boolean } = {}): Backtest {
  return backtestForecast(series, holdout, { ...options, method: 'holt-damped' });
}
