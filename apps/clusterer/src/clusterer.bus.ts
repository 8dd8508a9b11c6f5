import { createEventBus, type EventBus } from '@insiders/messaging';
import type { ClustererConfig } from './clusterer.config';

/**
 * The bus of a standalone clusterer process: Kafka when KAFKA_BROKERS is set, otherwise an in-process bus (only
 * meaningful for one-off commands such as a refit or a backfill, whose events then reach no other process).
 */
export function createClustererBus(config: ClustererConfig): EventBus {
  return createEventBus(config);
}
