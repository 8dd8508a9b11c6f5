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

export interface Forecast {
  method: 'holt-damped';
  params: HoltParams;
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

/** Validates the forecast on held-out periods (the last `holdout` values), never looking at them when fitting. */
export function backtestHolt(
  series: readonly number[],
  holdout: number,
  options: { level?: number; nonNegative?: boolean } = {},
): Backtest {
  const level = options.level ?? 0.8;
  const n = series.length;
  if (holdout < 1 || n - holdout < 4) {
    throw new InsufficientDataError(`backtest needs >= 4 training periods before ${holdout} held-out ones (series has ${n})`);
  }
  const oneStep: BacktestCase[] = [];
  for (let i = n - holdout; i < n; i++) {
    const train = series.slice(0, i);
    const p = holtForecast(train, { horizon: 1, level, nonNegative: options.nonNegative }).points[0]!;
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
    });
  }
  const origin = n - holdout;
  const train = series.slice(0, origin);
  const fc = holtForecast(train, { horizon: holdout, level, nonNegative: options.nonNegative });
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
    };
  });
  return { oneStep: summarise(oneStep, level), multiStep: summarise(multiStep, level), holdout };
}
