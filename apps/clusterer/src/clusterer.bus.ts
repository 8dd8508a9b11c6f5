import * as messaging from '@insiders/messaging';
import { MemoryBus, type EventBus } from '@insiders/messaging';
import type { ClustererConfig } from './clusterer.config';

type BusFactory = (config: ClustererConfig) => EventBus | Promise<EventBus>;

/**
 * The bus of a standalone clusterer process: Kafka when KAFKA_BROKERS is set (through `createEventBus` of
 * @insiders/messaging), otherwise an in-process bus (only meaningful for a one-off command such as a backfill).
 */
export async function createClustererBus(config: ClustererConfig): Promise<EventBus> {
  const factory = (messaging as unknown as { createEventBus?: BusFactory }).createEventBus;
  if (factory) return factory(config);
  if (config.KAFKA_BROKERS.length > 0) throw new Error('KAFKA_BROKERS is set but @insiders/messaging has no createEventBus (KafkaBus) yet');
  return new MemoryBus();
}
