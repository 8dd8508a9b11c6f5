import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@insiders/config';
import { POLICY_PRESET_NAMES } from '@insiders/features-core';

/**
 * The API's environment, parsed once at boot. A bad variable stops start-up with a message naming it.
 *
 * Security: admin keys (`API_KEYS` plain, hashed with SHA-256 at boot, or `API_KEY_HASHES` hex digests) can call
 * everything; read keys (`API_READ_KEYS` / `API_READ_KEY_HASHES`) only read endpoints. Read endpoints require a key
 * only when `API_READ_REQUIRES_KEY` is true. Rate limit: a token bucket per API key (or client IP) refilled at
 * `RATE_LIMIT_PER_SECOND` with `RATE_LIMIT_BURST` capacity; `RATE_LIMIT_PER_SECOND=0` disables it.
 */
export const apiConfigShape = {
  ...commonConfigShape,
  PORT: env.int(3000, { min: 0, max: 65535 }),
  /** Loopback by default; set 0.0.0.0 to serve other hosts (containers, behind a proxy). */
  HOST: env.string('127.0.0.1'),
  /** Behind a reverse proxy: take the client IP (rate limit) from X-Forwarded-For. */
  TRUST_PROXY: env.bool(false),
  /** The cleaning policy features are read with (as the features service's FEATURE_POLICY). */
  FEATURE_POLICY: env.oneOf(POLICY_PRESET_NAMES, 'seed-ian'),
  API_KEYS: env.list([]),
  API_KEY_HASHES: env.list([]),
  API_READ_KEYS: env.list([]),
  API_READ_KEY_HASHES: env.list([]),
  API_READ_REQUIRES_KEY: env.bool(false),
  RATE_LIMIT_PER_SECOND: env.number(50),
  RATE_LIMIT_BURST: env.int(100, { min: 1 }),
  PAGE_SIZE_DEFAULT: env.int(50, { min: 1 }),
  PAGE_SIZE_MAX: env.int(500, { min: 1 }),
  CSV_EXPORT_MAX_ROWS: env.int(100_000, { min: 1 }),
  /** Longest time range a query may span (days). */
  MAX_RANGE_DAYS: env.int(3_660, { min: 1 }),
  /** Most points one Grafana series may have, whatever the panel asks. */
  GRAFANA_MAX_POINTS: env.int(2_000, { min: 10 }),
  CORS_ORIGINS: env.list([]),
  DOCS_ENABLED: env.bool(true),
  /** In-process cache of hot reads (customer lookups, lists, profiles); 0 disables. Invalidated by segment changes. */
  CACHE_TTL_MS: env.int(2_000, { min: 0 }),
  CACHE_MAX_ENTRIES: env.int(50_000, { min: 1 }),
  /** In-memory read model of all customers for lookups and the Insiders list, rebuilt at this period; 0 disables. */
  READ_MODEL_REFRESH_MS: env.int(5_000, { min: 0 }),
  /** Above this many customers the read model is not built (reads go to SQL with the TTL cache). */
  READ_MODEL_MAX_CUSTOMERS: env.int(250_000, { min: 0 }),
  SSE_HEARTBEAT_MS: env.int(15_000, { min: 100 }),
  WEBHOOKS_ENABLED: env.bool(true),
  WEBHOOK_MAX_ATTEMPTS: env.int(6, { min: 1, max: 20 }),
  WEBHOOK_BACKOFF_MS: env.int(500, { min: 1 }),
  WEBHOOK_TIMEOUT_MS: env.int(5_000, { min: 10 }),
  WEBHOOK_MAX_EVENTS_PER_DELIVERY: env.int(500, { min: 1 }),
  /** Consumer group names on the segment-change topic (live stream and webhooks). */
  API_GROUP_PREFIX: env.string('insiders-api'),
  /** The business report (docs/report.md): forecast, backtest, statistics, caching; validated in report.options.ts. */
  REPORT_FORECAST_METHOD: env.oneOf(['auto', 'naive', 'drift', 'holt-damped'] as const, 'auto'),
  REPORT_FORECAST_HORIZON: env.int(3, { min: 1, max: 24 }),
  REPORT_BACKTEST_HOLDOUT: env.int(3, { min: 1, max: 24 }),
  REPORT_INTERVAL_LEVEL: env.number(0.8),
  REPORT_BOOTSTRAP_RESAMPLES: env.int(1_000, { min: 1, max: 100_000 }),
  REPORT_SEED: env.int(42),
  REPORT_CACHE_TTL_MS: env.int(300_000, { min: 0 }),
  REPORT_MIN_REFRESH_MS: env.int(15_000, { min: 0 }),
  REPORT_WORKER_THRESHOLD: env.int(2_000, { min: 0 }),
  DASHBOARD_MAP_MAX_POINTS: env.int(6_000, { min: 1, max: 200_000 }),
};

export const apiConfigSchema = z.object(apiConfigShape);
export type ApiConfig = z.infer<typeof apiConfigSchema>;

export function loadApiConfig(source: Record<string, string | undefined> = process.env): ApiConfig {
  return loadConfig(apiConfigSchema, source);
}
