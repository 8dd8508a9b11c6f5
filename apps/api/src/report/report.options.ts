import { policyPreset, type CleaningPolicy } from '@insiders/features-core';
import { DEFAULT_REPORT_OPTIONS, type ReportOptions } from './report.builder';

/** Injection token of the report's options (built from the API configuration by ReportModule). */
export const REPORT_OPTIONS = Symbol('REPORT_OPTIONS');

export interface ReportSettings extends ReportOptions {
  policy: CleaningPolicy;
  /** Reuse a computed report while the model and memberships are unchanged, for at most this long. */
  cacheTtlMs: number;
  /** Reuse a computed report this long even when memberships changed (live assignment changes them constantly). */
  minRefreshMs: number;
  /** Reports over more rows (memberships + customers) than this are computed in a worker thread. */
  workerThreshold: number;
  /** Most customers the dashboard's map draws (an even sample beyond). */
  mapMaxPoints: number;
}

const METHODS = ['auto', 'naive', 'drift', 'holt-damped'] as const;

function methodOf(v: unknown): ReportOptions['forecastMethod'] {
  if (v === undefined || v === null || v === '') return DEFAULT_REPORT_OPTIONS.forecastMethod;
  if (typeof v === 'string' && (METHODS as readonly string[]).includes(v)) return v as ReportOptions['forecastMethod'];
  throw new Error(`REPORT_FORECAST_METHOD: expected one of ${METHODS.join(', ')}, got "${String(v)}"`);
}

/**
 * Settings from the API configuration. Optional variables (documented in docs/report.md) fall back to defaults, so
 * the report works with a configuration that only has FEATURE_POLICY:
 *   REPORT_FORECAST_METHOD (auto), REPORT_FORECAST_HORIZON (3), REPORT_BACKTEST_HOLDOUT (3), REPORT_INTERVAL_LEVEL (0.8), REPORT_BOOTSTRAP_RESAMPLES
 *   (1000), REPORT_SEED (42), REPORT_CACHE_TTL_MS (300000), REPORT_MIN_REFRESH_MS (15000),
 *   DASHBOARD_MAP_MAX_POINTS (6000).
 */
export function reportSettingsFrom(config: object): ReportSettings {
  const c = config as Record<string, unknown>;
  const num = (key: string, def: number, ok: (v: number) => boolean): number => {
    const v = c[key];
    if (v === undefined || v === null || v === '') return def;
    const n = Number(v);
    if (!Number.isFinite(n) || !ok(n)) throw new Error(`${key}: invalid value "${String(v)}"`);
    return n;
  };
  const int = (v: number) => Number.isInteger(v) && v >= 1;
  return {
    ...DEFAULT_REPORT_OPTIONS,
    policy: policyPreset(typeof c.FEATURE_POLICY === 'string' ? c.FEATURE_POLICY : 'seed-ian'),
    horizon: num('REPORT_FORECAST_HORIZON', DEFAULT_REPORT_OPTIONS.horizon, (v) => int(v) && v <= 24),
    holdout: num('REPORT_BACKTEST_HOLDOUT', DEFAULT_REPORT_OPTIONS.holdout, (v) => int(v) && v <= 24),
    level: num('REPORT_INTERVAL_LEVEL', DEFAULT_REPORT_OPTIONS.level, (v) => v > 0 && v < 1),
    resamples: num('REPORT_BOOTSTRAP_RESAMPLES', DEFAULT_REPORT_OPTIONS.resamples, (v) => int(v) && v <= 100_000),
    forecastMethod: methodOf(c.REPORT_FORECAST_METHOD),
    seed: num('REPORT_SEED', DEFAULT_REPORT_OPTIONS.seed, (v) => Number.isInteger(v)),
    cacheTtlMs: num('REPORT_CACHE_TTL_MS', 300_000, (v) => v >= 0),
    minRefreshMs: num('REPORT_MIN_REFRESH_MS', 15_000, (v) => v >= 0),
    workerThreshold: num('REPORT_WORKER_THRESHOLD', 2_000, (v) => Number.isInteger(v) && v >= 0),
    mapMaxPoints: num('DASHBOARD_MAP_MAX_POINTS', 6_000, (v) => int(v) && v <= 200_000),
  };
}
