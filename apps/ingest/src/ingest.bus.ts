import * as messaging from '@insiders/messaging';
import { EventBus, MemoryBus } from '@insiders/messaging';
import { IngestConfig } from './ingest.config';

type BusFactory = (config: IngestConfig, options?: { kafka?: { compression?: 'none' | 'gzip' } }) => EventBus | Promise<EventBus>;

/**
 * The bus of a standalone ingest process (server or replay): Kafka when KAFKA_BROKERS is set (through
 * `createEventBus` of @insiders/messaging), otherwise an in-process bus — which only makes sense for a dry run.
 */
export async function createIngestBus(config: IngestConfig): Promise<EventBus> {
  const factory = (messaging as unknown as { createEventBus?: BusFactory }).createEventBus;
  if (factory) return factory(config, { kafka: { compression: config.INGEST_KAFKA_COMPRESSION } });
  if (config.KAFKA_BROKERS.length > 0) throw new Error('KAFKA_BROKERS is set but @insiders/messaging has no createEventBus (KafkaBus) yet');
  return new MemoryBus();
}
