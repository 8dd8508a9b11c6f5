import { z } from 'zod';
import { commonConfigShape, ConfigError, env, loadConfig } from '@insiders/config';
import { POLICY_PRESET_NAMES } from '@insiders/features-core';
import { parseInsidersRule, parseNamingRule } from '@insiders/segments';

/** Configuration of the clusterer (parsed once at boot; a bad value stops start-up naming the variable). */
export const clustererConfigSchema = z.object({
  ...commonConfigShape,
  /** Cleaning policy the features are read with (same presets as the features service). */
  FEATURE_POLICY: env.oneOf(POLICY_PRESET_NAMES, 'seed-ian'),
  /** Run the refit scheduler and the incremental assignment loop (false: only explicit calls, e.g. CLI/tests). */
  CLUSTERER_SCHEDULER: env.bool(true),
  /** Refit at least this often (0 = never on time alone). */
  CLUSTERER_REFIT_INTERVAL_MS: env.int(24 * 3_600_000, { min: 0 }),
  /** Refit after this many customers changed since the last refit (0 = off). */
  CLUSTERER_REFIT_AFTER_CHANGED: env.int(50_000, { min: 0 }),
  /** Refit when the largest per-feature PSI against the fit-time distribution exceeds this (0 = off). */
  CLUSTERER_DRIFT_THRESHOLD: env.number(0.25),
  CLUSTERER_DRIFT_CHECK_MS: env.int(3_600_000, { min: 1_000 }),
  /** How often the changed-customers feed is polled for incremental assignment. */
  CLUSTERER_POLL_MS: env.int(200, { min: 10 }),
  /**
   * The feed is read from this long before its cursor: changes committed out of time-stamp order (several
   * features consumers, or partitions consumed concurrently) within this window are still assigned.
   */
  CLUSTERER_FEED_GRACE_MS: env.int(2_000, { min: 0 }),
  /** The feed cursor is saved at most this often (a crash re-assigns at most this much of the feed, idempotently). */
  CLUSTERER_CURSOR_SAVE_MS: env.int(1_000, { min: 0 }),
  /**
   * An incremental pass's store (history, memberships, feed position) waits this long for the passes after it and
   * stores them together (fewer inserts competing with the features consumer; events are published before).
   */
  CLUSTERER_STORE_DELAY_MS: env.int(250, { min: 0 }),
  /** At most this many changed customers per incremental batch. */
  CLUSTERER_POLL_LIMIT: env.int(20_000, { min: 1 }),
  /** Fewer customers than this: no fit (the model would be meaningless). */
  CLUSTERER_MIN_CUSTOMERS: env.int(50, { min: 2 }),
  CLUSTERER_SEED: env.int(42, { min: 0 }),
  CLUSTERER_K_MIN: env.int(8, { min: 2 }),
  CLUSTERER_K_MAX: env.int(24, { min: 2 }),
  CLUSTERER_TREES: env.int(300, { min: 1 }),
  CLUSTERER_MIN_SAMPLES_LEAF: env.int(1, { min: 1 }),
  /** Feature set the model is fitted on: the seed's five, the 12 scalar features, or all 50 (with revenue shares). */
  CLUSTERER_FEATURES: env.oneOf(['seed', 'scalar', 'all'] as const, 'seed'),
  /** Dimensions of the UMAP embedding the mixture is fitted in. */
  CLUSTERER_EMBEDDING_DIMS: env.int(8, { min: 2 }),
  /** Neighbours that vote when assigning a customer outside the fit. */
  CLUSTERER_ASSIGN_NEIGHBOURS: env.int(15, { min: 1 }),
  /** Fit on at most this many customers (sampled, seeded); the rest are assigned like new customers. */
  CLUSTERER_MAX_FIT_CUSTOMERS: env.int(100_000, { min: 100 }),
  /** A model whose silhouette is below this is rejected (the previous one keeps serving). */
  CLUSTERER_MIN_SILHOUETTE: env.number(0),
  /** JSON overrides of the naming rule and the Insiders rule (docs/segments.md). */
  CLUSTERER_NAMING_RULE: env.optionalString(),
  CLUSTERER_INSIDERS_RULE: env.optionalString(),
});

export type ClustererConfig = z.infer<typeof clustererConfigSchema>;

export function loadClustererConfig(source: Record<string, string | undefined> = process.env): ClustererConfig {
  const config = loadConfig(clustererConfigSchema, source);
  const problems: { variable: string; message: string }[] = [];
  if (config.CLUSTERER_K_MIN > config.CLUSTERER_K_MAX) {
    problems.push({ variable: 'CLUSTERER_K_MIN', message: `must be <= CLUSTERER_K_MAX (${config.CLUSTERER_K_MAX})` });
  }
  for (const [variable, parse] of [
    ['CLUSTERER_NAMING_RULE', parseNamingRule],
    ['CLUSTERER_INSIDERS_RULE', parseInsidersRule],
  ] as const) {
    try {
      parse(config[variable]);
    } catch (e) {
      problems.push({ variable, message: (e as Error).message });
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}
