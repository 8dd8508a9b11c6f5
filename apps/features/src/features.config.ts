import { z } from 'zod';
import { commonConfigShape, ConfigError, env, loadConfig } from '@insiders/config';
import { POLICY_PRESET_NAMES } from '@insiders/features-core';

/** Configuration of the features service (parsed once at boot; a bad value stops start-up naming the variable). */
export const featuresConfigSchema = z.object({
  ...commonConfigShape,
  /** The cleaning policy features are read with by default. */
  FEATURE_POLICY: env.oneOf(POLICY_PRESET_NAMES, 'seed-ian'),
  /** Policies whose states are kept current on every batch (FEATURE_POLICY is always included). Others are computed from raw on demand. */
  FEATURE_POLICIES: env.list([]),
  FEATURES_GROUP_ID: env.string('insiders-features'),
  /** Consume the invoice-lines topic (false: serve reads only). */
  FEATURES_CONSUME: env.bool(true),
  FEATURES_HTTP_PORT: env.int(3002, { min: 0, max: 65535 }),
  /** Consumer group session timeout: how long a dead consumer holds its partitions (broker minimum 6 s). */
  FEATURES_KAFKA_SESSION_TIMEOUT_MS: env.int(30_000, { min: 1_000 }),
  /** Most bytes fetched per partition per request: the upper bound of one batch (one storage insert). */
  FEATURES_KAFKA_MAX_BYTES_PER_PARTITION: env.int(16 * 1024 * 1024, { min: 1024 }),
  /**
   * Partitions whose batches are handled at the same time: batches decode while a storage round is written, and
   * the batches waiting for the next round are stored together (one set of statements for all of them, see
   * InvoiceLinesProcessor.process). Default: ingest's partition count, so one fetch is one round.
   */
  FEATURES_KAFKA_PARTITIONS_CONCURRENTLY: env.int(6, { min: 1, max: 64 }),
  /**
   * Batches of one partition handed to the processor before the earliest is stored (KafkaBus batchesInFlight):
   * the next fetch and its decoding overlap the storage round of the previous batches, and the batches that pile
   * up meanwhile are stored together in the next round. Offsets are still committed in order, each only after its
   * batch is stored. 1 = fetch, decode and store strictly one after another.
   */
  FEATURES_KAFKA_BATCHES_IN_FLIGHT: env.int(4, { min: 1, max: 64 }),
  /**
   * Most lines one storage round takes from the batches waiting for it (at least one batch). Larger rounds cost
   * ClickHouse less per line; a huge one (everything fetched during a pause) delays the batches behind it.
   */
  FEATURES_MAX_ROUND_LINES: env.int(100_000, { min: 1 }),
  FEATURES_MAX_ABS_QUANTITY: env.int(1_000_000, { min: 1 }),
  FEATURES_MIN_UNIT_PRICE: env.number(-100_000),
  FEATURES_MAX_UNIT_PRICE: env.number(100_000),
  FEATURES_MAX_FUTURE_HOURS: env.number(24),
  FEATURES_MIN_EVENT_TIME: env.string('2000-01-01T00:00:00Z'),
});

export type FeaturesConfig = z.infer<typeof featuresConfigSchema>;

export function loadFeaturesConfig(source: Record<string, string | undefined> = process.env): FeaturesConfig {
  const config = loadConfig(featuresConfigSchema, source);
  for (const name of config.FEATURE_POLICIES) {
    if (!(POLICY_PRESET_NAMES as readonly string[]).includes(name)) {
      throw new ConfigError([{ variable: 'FEATURE_POLICIES', message: `unknown policy "${name}" (known: ${POLICY_PRESET_NAMES.join(', ')})` }]);
    }
  }
  if (Number.isNaN(Date.parse(config.FEATURES_MIN_EVENT_TIME))) {
    throw new ConfigError([{ variable: 'FEATURES_MIN_EVENT_TIME', message: `not a date-time "${config.FEATURES_MIN_EVENT_TIME}"` }]);
  }
  return config;
}
