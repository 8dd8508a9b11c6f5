import { z } from 'zod';
import { commonConfigShape, env, loadConfig } from '@insiders/config';

/**
 * The embedded default: the four apps as modules of one process. Each app still reads its own validated
 * configuration from the environment; these variables only decide what the process does at start.
 */
export const standaloneConfigSchema = z.object({
  ...commonConfigShape,
  /** Data file replayed at start (seed or UCI format, `.gz` ok). */
  INSIDERS_REPLAY_FILE: env.string('data/Ecommerce.csv.gz'),
  /** `if-empty`: replay only when no invoice line is stored yet (a restart keeps its data); `always`; `never`. */
  INSIDERS_REPLAY: env.oneOf(['if-empty', 'always', 'never'] as const, 'if-empty'),
  /** Replay at most this many lines (0 = the whole file). */
  INSIDERS_REPLAY_LIMIT: env.int(0, { min: 0 }),
  /** Fit the first model as soon as the start-up replay is stored (when no model is active yet). */
  INSIDERS_INITIAL_REFIT: env.bool(true),
  /** After the first fit on a fresh store, backfill membership history over the replayed period every N days (0 = off). */
  INSIDERS_INITIAL_BACKFILL_DAYS: env.int(7, { min: 0 }),
});

export type StandaloneConfig = z.infer<typeof standaloneConfigSchema>;

export function loadStandaloneConfig(source: Record<string, string | undefined> = process.env): StandaloneConfig {
  return loadConfig(standaloneConfigSchema, source);
}
