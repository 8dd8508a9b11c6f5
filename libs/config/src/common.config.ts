import { z } from 'zod';
import { env } from './config.loader';

/**
 * Variables every app shares: how it reaches storage and the event bus.
 *  - CLICKHOUSE_URL unset  => embedded chDB in CHDB_PATH (one data directory per process)
 *  - KAFKA_BROKERS unset   => in-process bus (only meaningful when all apps share one process)
 */
export const commonConfigShape = {
  CLICKHOUSE_URL: env.optionalString(),
  CLICKHOUSE_USER: env.string('default'),
  CLICKHOUSE_PASSWORD: env.string(''),
  CLICKHOUSE_DATABASE: env.string('insiders'),
  CHDB_PATH: env.string('.data/chdb'),
  KAFKA_BROKERS: env.list([]),
  KAFKA_CLIENT_ID: env.string('insiders'),
  TOPIC_PREFIX: env.string('insiders'),
  LOG_LEVEL: env.oneOf(['error', 'warn', 'log', 'debug', 'verbose'] as const, 'log'),
};

export const commonConfigSchema = z.object(commonConfigShape);
export type CommonConfig = z.infer<typeof commonConfigSchema>;
