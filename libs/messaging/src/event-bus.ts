/**
 * The event bus every app publishes to and consumes from. Two implementations share this contract:
 *  - KafkaBus (distributed mode): a real Kafka cluster through kafkajs.
 *  - MemoryBus (embedded default): an in-process bus for when all apps run as modules of one process.
 *
 * Delivery contract (both): per key, order is preserved; a batch handler that resolves marks its messages
 * consumed (offsets committed); a handler that rejects gets the same messages again (at-least-once), so
 * consumers deduplicate by event id.
 */
export interface OutgoingMessage {
  /** Partitioning key (customer id for invoice lines and segment changes). */
  key: string | null;
  value: string | Buffer;
  headers?: Record<string, string>;
}

export interface IncomingMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
  partition: number;
  /** Kafka offset as a decimal string ("0", "1", ...); MemoryBus numbers messages the same way per topic. */
  offset: string;
  /** Broker/append time in ms since the epoch. */
  timestamp: number;
}

export interface ConsumedBatch {
  topic: string;
  partition: number;
  messages: IncomingMessage[];
  /** Messages behind the end of the partition after this batch (consumer lag), when known. */
  lag?: number;
}

export interface SubscribeOptions {
  topic: string;
  groupId: string;
  /** Where a group without committed offsets starts. Default true. */
  fromBeginning?: boolean;
  /**
   * Kafka: how many partitions' batches the handler may be working on at the same time (each partition still one
   * batch at a time, in order); default the bus's `partitionsConsumedConcurrently`. The memory bus delivers one
   * batch at a time and ignores it.
   */
  partitionsConcurrently?: number;
  /**
   * Kafka: how many batches of one partition may be handed to the handler and not yet committed (default 1: the
   * next batch of a partition is fetched only after the previous one's handler resolved and it was committed).
   * With N > 1 the next fetch overlaps the handler: the handler is called for a partition's next batch before the
   * previous call resolved (calls still start in offset order, so it must tolerate overlapping calls of one
   * partition), and a handler that fails and is retried may resolve after later batches of its partition.
   * Offsets are still committed only in order: after a batch once its handler and those of every earlier batch of
   * its partition resolved. The memory bus delivers one batch at a time and ignores it.
   */
  batchesInFlight?: number;
}

export type BatchHandler = (batch: ConsumedBatch) => Promise<void>;

export interface Subscription {
  /** Stops consuming; running handlers finish and the commits they made due are sent first. */
  stop(): Promise<void>;
}

export interface EventBus {
  readonly kind: 'kafka' | 'memory';
  /** Resolves once every message is acknowledged (Kafka: acks=all; memory: appended). */
  publish(topic: string, messages: OutgoingMessage[]): Promise<void>;
  subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription>;
  /** Creates topics if missing (Kafka) — no-op for memory. */
  ensureTopics(topics: { topic: string; partitions?: number }[]): Promise<void>;
  /** Health probe for readiness checks. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const EVENT_BUS = Symbol('EVENT_BUS');
