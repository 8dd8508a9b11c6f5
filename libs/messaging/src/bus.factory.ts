import type { EventBus } from './event-bus';
import { KafkaBus, type KafkaBusOptions } from './kafka-bus';
import { MemoryBus } from './memory-bus';

/** The part of an app's validated configuration (commonConfigShape) that chooses the bus. */
export interface BusConfig {
  KAFKA_BROKERS: readonly string[];
  KAFKA_CLIENT_ID?: string;
}

export interface CreateEventBusOptions {
  /** Extra KafkaBus settings (compression, chunking, concurrency, logger...). */
  kafka?: Omit<KafkaBusOptions, 'brokers'>;
  /** MemoryBus settings for the embedded default. */
  memory?: ConstructorParameters<typeof MemoryBus>[0];
}

/**
 * KafkaBus when KAFKA_BROKERS lists at least one broker (distributed mode), otherwise the in-process
 * MemoryBus (embedded default: all apps in one process).
 */
export function createEventBus(config: BusConfig, options: CreateEventBusOptions = {}): EventBus {
  const brokers = config.KAFKA_BROKERS.map((b) => b.trim()).filter((b) => b.length > 0);
  if (brokers.length > 0) {
    return new KafkaBus({ clientId: config.KAFKA_CLIENT_ID, ...options.kafka, brokers });
  }
  return new MemoryBus(options.memory);
}
