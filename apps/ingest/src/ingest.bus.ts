import { createEventBus, EventBus } from '@insiders/messaging';
import { IngestConfig } from './ingest.config';

/**
 * The bus of a standalone ingest process (server or replay): a KafkaBus when KAFKA_BROKERS is set, with the
 * ingest's compression setting, otherwise an in-process bus — which only makes sense for a dry run.
 */
export function createIngestBus(config: IngestConfig): EventBus {
  return createEventBus(config, { kafka: { compression: config.INGEST_KAFKA_COMPRESSION } });
}
