// First: the kafkajs fast path must be installed before kafkajs loads (see kafka/kafkajs-fast-path.ts).
import './kafka/kafkajs-fast-path.install';
import {
  type Admin,
  CompressionTypes,
  type Consumer,
  type Batch,
  type EachBatchPayload,
  type IHeaders,
  Kafka,
  type LogEntry,
  type Message,
  type PartitionMetadata,
  logLevel as KafkaLogLevel,
  Partitioners,
  type Producer,
} from 'kafkajs';
import type {
  BatchHandler,
  ConsumedBatch,
  EventBus,
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
} from './event-bus';
import { kafkajsFastPathStatus } from './kafka/kafkajs-fast-path';
import { KeyPartitioner } from './kafka/murmur2.partitioner';
import { PipelinedBatches } from './kafka/pipelined-batches';

export type KafkaBusLogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Where the bus and kafkajs log to: one function, so apps route it into their own logger. */
export type KafkaBusLogger = (level: KafkaBusLogLevel, message: string, extra?: Record<string, unknown>) => void;

export type KafkaCompression = 'none' | 'gzip';

export interface KafkaBusOptions {
  brokers: string[];
  clientId?: string;
  /**
   * Producer compression. kafkajs has only GZIP built in; on this kind of machine gzip costs more CPU than it
   * saves on a loopback/LAN link (scripts/kafka/bus-throughput.ts), so the default is none.
   */
  compression?: KafkaCompression;
  /** A publish call is sent as sequential produce requests of at most this many messages (default 10,000). */
  publishChunkMessages?: number;
  /**
   * ...and at most this many value+key bytes (default 900 kB), so that the record batch of one partition stays
   * under the broker's default message.max.bytes (1 MB) even when all keys of a chunk land in one partition.
   */
  publishChunkBytes?: number;
  /**
   * Idempotent producers a publish is spread over, by partition (default 1). kafkajs sends one request at a time
   * per idempotent producer and broker; with two, encoding one request can overlap the broker writing the other
   * (only worth it when the client has a spare core: kafkajs' encoding, not the broker, is the bottleneck).
   * Per-key (per-partition) order is kept: a partition always goes through the same producer.
   */
  producerShards?: number;
  /** Partitions one subscription processes at the same time (kafkajs partitionsConsumedConcurrently, default 1). */
  partitionsConsumedConcurrently?: number;
  /** Consumer group session timeout (default 30 s); the bus heartbeats while a handler runs. */
  sessionTimeoutMs?: number;
  /** Heartbeat interval (default 3 s). */
  heartbeatIntervalMs?: number;
  /** Longest time the broker holds a fetch waiting for data (default 500 ms; also bounds stop() latency). */
  maxWaitTimeMs?: number;
  /** Most bytes fetched per partition per request (default 1 MiB). */
  maxBytesPerPartition?: number;
  /** First delay before a failed batch is handed to the handler again; doubles up to retryMaxDelayMs. */
  retryDelayMs?: number;
  retryMaxDelayMs?: number;
  /** Lowest level that reaches the logger (default warn). */
  logLevel?: KafkaBusLogLevel;
  logger?: KafkaBusLogger;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
}

const LEVEL_ORDER: Record<KafkaBusLogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

const KAFKAJS_LEVEL: Record<KafkaBusLogLevel, KafkaLogLevel> = {
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

function fromKafkaLevel(level: KafkaLogLevel): KafkaBusLogLevel {
  if (level <= KafkaLogLevel.ERROR) return 'error';
  if (level === KafkaLogLevel.WARN) return 'warn';
  if (level === KafkaLogLevel.INFO) return 'info';
  return 'debug';
}

/** Default logger: warnings and errors to stderr, one line each. */
export const consoleKafkaLogger: KafkaBusLogger = (level, message, extra) => {
  const line = `[kafka] ${level.toUpperCase()} ${message}${extra && Object.keys(extra).length ? ` ${safeJson(extra)}` : ''}`;
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

function decodeHeaders(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[value.length - 1] : value;
    out[name] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}

/**
 * Splits messages into consecutive chunks bounded by count and by approximate size (key + value + headers),
 * keeping order. A single message larger than maxBytes forms its own chunk (the broker judges it).
 */
export function chunkMessages(messages: OutgoingMessage[], maxMessages: number, maxBytes: number): OutgoingMessage[][] {
  const chunks: OutgoingMessage[][] = [];
  let current: OutgoingMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    let size = (typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) + (m.key ? m.key.length : 0) + 70;
    if (m.headers) for (const [k, v] of Object.entries(m.headers)) size += k.length + v.length + 4;
    if (current.length > 0 && (current.length >= maxMessages || bytes + size > maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(m);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

/** Lag after a batch: messages between the batch's last offset and the partition's high watermark. */
export function batchLag(highWatermark: string, lastOffset: string): number {
  const lag = BigInt(highWatermark) - BigInt(lastOffset) - 1n;
  return lag > 0n ? Number(lag) : 0;
}

/** What a handler gets for a kafkajs batch. */
function toConsumedBatch(batch: Batch): ConsumedBatch {
  const messages: IncomingMessage[] = batch.messages.map((m) => ({
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ?? Buffer.alloc(0),
    headers: decodeHeaders(m.headers),
    partition: batch.partition,
    offset: m.offset,
    timestamp: Number(m.timestamp),
  }));
  return { topic: batch.topic, partition: batch.partition, messages, lag: batchLag(batch.highWatermark, batch.lastOffset()) };
}

/** The offset to commit after a batch: the next one to read. */
export function nextOffset(lastOffset: string): string {
  return (BigInt(lastOffset) + 1n).toString();
}

/** kafkajs partitioner for messages that already carry their partition (KafkaBus.send sets it on all of them). */
const presetPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  return (args: { topic: string; partitionMetadata: PartitionMetadata[]; message: Message }): number =>
    typeof args.message.partition === 'number' ? args.message.partition : fallback(args);
};

/**
 * EventBus on a Kafka cluster through kafkajs.
 *
 * Producer: idempotent (acks=all, unlimited retries, sequence numbers so a retried request is not written
 * twice), messages keyed (the Java-compatible murmur2 partitioner, so per-key order holds and other clients
 * agree on the partition), a publish split into produce requests of bounded size. kafkajs keeps one produce
 * request in flight per broker for an idempotent producer, so a publish is spread by partition over
 * `producerShards` producers whose requests overlap, and publishes are serialized here instead of queueing on
 * kafkajs' lock (which times out after 65 s).
 * Encoding: kafkajs' Produce request encoding and message grouping are replaced by faster equivalents
 * (kafka/kafkajs-fast-path.ts, same bytes on the wire) when the installed kafkajs is the version they were checked
 * against; any other version runs stock kafkajs and the bus logs a warning.
 *
 * Consumer: one kafkajs consumer per subscription, `eachBatch` with auto-commit and auto-resolve off. The
 * batch's last offset + 1 is committed only after the handler resolves; the bus heartbeats while the handler
 * runs. A handler that throws is called again with the same batch after a backoff (nothing committed, nothing
 * skipped) until it succeeds, the subscription stops or the group rebalances; in the last two cases the
 * uncommitted batch is delivered again from the committed offset, to this or another member.
 * With `batchesInFlight` > 1 a subscription pipelines: the next fetch of a partition overlaps the handler of
 * the previous batches, commits stay in offset order (kafka/pipelined-batches.ts).
 */
export class KafkaBus implements EventBus {
  readonly kind = 'kafka' as const;
  private readonly kafka: Kafka;
  private readonly log: KafkaBusLogger;
  private readonly level: number;
  private readonly producers: (Promise<Producer> | undefined)[] = [];
  /** For messages without a key (round robin over available partitions, as kafkajs does). */
  private readonly partitioner = Partitioners.DefaultPartitioner();
  /** For keyed messages: kafkajs' murmur2 partition, computed once per key. */
  private readonly keyPartitioner = new KeyPartitioner();
  private readonly partitionCache = new Map<string, { at: number; partitions: PartitionMetadata[] }>();
  private adminReady?: Promise<Admin>;
  private publishQueue: Promise<unknown> = Promise.resolve();
  private readonly subscriptions = new Set<Subscription>();
  private closed = false;

  constructor(private readonly options: KafkaBusOptions) {
    if (options.brokers.length === 0) throw new Error('KafkaBus needs at least one broker address');
    const logger = options.logger ?? consoleKafkaLogger;
    this.level = LEVEL_ORDER[options.logLevel ?? 'warn'];
    this.log = (level, message, extra) => {
      if (LEVEL_ORDER[level] <= this.level) logger(level, message, extra);
    };
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'insiders',
      brokers: options.brokers,
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 30_000,
      logLevel: KAFKAJS_LEVEL[options.logLevel ?? 'warn'],
      logCreator:
        () =>
        ({ namespace, level, log }: LogEntry) => {
          const extra: Record<string, unknown> = { ...log };
          delete extra.message;
          delete extra.timestamp;
          delete extra.logger;
          // kafkajs logs every error response at ERROR, also the retriable ones it then retries (leader moved,
          // coordinator loading); a request that finally fails reaches the caller as an exception anyway
          const mapped = fromKafkaLevel(level);
          const retried = mapped === 'error' && namespace === 'Connection' && log.message.startsWith('Response ');
          this.log(retried ? 'warn' : mapped, `${namespace ? `${namespace}: ` : ''}${log.message}`, extra);
        },
    });
    const fastPath = kafkajsFastPathStatus();
    if (!fastPath.produceEncoder) this.log('warn', `kafkajs fast path off: ${fastPath.note ?? 'unknown reason'}`);
    else if (fastPath.note) this.log('info', `kafkajs fast path partly on: ${fastPath.note}`);
  }

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return;
    this.assertOpen();
    const run = this.publishQueue.then(() => this.send(topic, messages));
    this.publishQueue = run.catch(() => undefined);
    return run;
  }

  private async send(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const shards = Math.max(1, this.options.producerShards ?? 1);
    // Partition here (the partitioner kafkajs would use) and give every partition to one producer, so that
    // produce requests of different producers overlap while each partition's messages stay in order. The
    // metadata lookup also makes a publish to a missing topic fail at once: the idempotent producer would
    // retry it forever.
    const partitions = await this.partitionsOf(topic);
    const byShard: Message[][] = Array.from({ length: shards }, () => []);
    for (const m of messages) {
      const message: Message = { key: m.key, value: m.value, headers: m.headers };
      const partition =
        m.key === null ? this.partitioner({ topic, partitionMetadata: partitions, message }) : this.keyPartitioner.partition(m.key, partitions.length);
      message.partition = partition;
      byShard[partition % shards]!.push(message);
    }
    await Promise.all(byShard.map((shard, i) => (shard.length > 0 ? this.sendChunks(i, topic, shard) : Promise.resolve())));
  }

  private async sendChunks(shard: number, topic: string, messages: Message[]): Promise<void> {
    const producer = await this.connectedProducer(shard);
    const compression = this.options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None;
    const chunks = chunkMessages(messages as OutgoingMessage[], this.options.publishChunkMessages ?? 10_000, this.options.publishChunkBytes ?? 900_000);
    for (const chunk of chunks) await producer.send({ topic, acks: -1, compression, messages: chunk as Message[] });
  }

  /** Partition metadata of a topic, cached for a minute (a topic that gains partitions is picked up then). */
  private async partitionsOf(topic: string): Promise<PartitionMetadata[]> {
    const cached = this.partitionCache.get(topic);
    if (cached && Date.now() - cached.at < 60_000) return cached.partitions;
    const admin = await this.connectedAdmin();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    const partitions = metadata.topics[0]?.partitions ?? [];
    if (partitions.length === 0) throw new Error(`topic ${topic} has no partitions (does it exist? call ensureTopics)`);
    this.partitionCache.set(topic, { at: Date.now(), partitions });
    return partitions;
  }

  async subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription> {
    this.assertOpen();
    const consumer = this.kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: this.options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: this.options.heartbeatIntervalMs ?? 3000,
      maxWaitTimeInMs: this.options.maxWaitTimeMs ?? 500,
      maxBytesPerPartition: this.options.maxBytesPerPartition ?? 1024 * 1024,
      allowAutoTopicCreation: false,
    });
    const batchesInFlight = options.batchesInFlight ?? 1;
    if (!Number.isInteger(batchesInFlight) || batchesInFlight < 1) throw new Error(`batchesInFlight must be a positive integer, got ${batchesInFlight}`);
    const pipelined =
      batchesInFlight > 1
        ? new PipelinedBatches(consumer, handler, {
            topic: options.topic,
            groupId: options.groupId,
            batchesInFlight,
            retryDelayMs: this.options.retryDelayMs ?? 200,
            retryMaxDelayMs: this.options.retryMaxDelayMs ?? 10_000,
            heartbeatStepMs: Math.max(100, Math.floor((this.options.heartbeatIntervalMs ?? 3000) / 2)),
            decode: toConsumedBatch,
            warn: (message, extra) => this.log('warn', message, extra),
          })
        : undefined;
    await consumer.connect();
    try {
      await consumer.subscribe({ topics: [options.topic], fromBeginning: options.fromBeginning ?? true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConcurrently ?? this.options.partitionsConsumedConcurrently ?? 1,
        eachBatch: pipelined ? (payload) => pipelined.eachBatch(payload) : (payload) => this.handleBatch(consumer, options, handler, payload),
      });
    } catch (error) {
      await consumer.disconnect().catch(() => undefined);
      throw error;
    }
    let stopping: Promise<void> | undefined;
    const subscription: Subscription = {
      stop: () => {
        stopping ??= (async () => {
          this.subscriptions.delete(subscription);
          // pipelined: the running handlers finish and their commits go out first (a stopped consumer commits nothing)
          await pipelined?.drain();
          await consumer.stop();
          await consumer.disconnect();
        })();
        return stopping;
      },
    };
    this.subscriptions.add(subscription);
    return subscription;
  }

  private async handleBatch(
    consumer: Consumer,
    options: SubscribeOptions,
    handler: BatchHandler,
    { batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload,
  ): Promise<void> {
    if (batch.messages.length === 0) return;
    const lastOffset = batch.lastOffset();
    const consumed = toConsumedBatch(batch);
    let delay = this.options.retryDelayMs ?? 200;
    for (let attempt = 1; ; attempt++) {
      if (!isRunning() || isStale()) return; // stopping or sought elsewhere: the batch stays uncommitted
      let heartbeatError: unknown;
      const beat = setInterval(() => {
        heartbeat().catch((error: unknown) => (heartbeatError ??= error));
      }, Math.max(100, Math.floor((this.options.heartbeatIntervalMs ?? 3000) / 2)));
      let failure: unknown;
      try {
        await handler(consumed);
      } catch (error) {
        failure = error;
      } finally {
        clearInterval(beat);
      }
      // the group rebalanced while the handler ran: let kafkajs rejoin; the batch is redelivered uncommitted
      if (heartbeatError) throw heartbeatError;
      if (failure === undefined) break;
      this.log('warn', `handler failed for ${batch.topic}[${batch.partition}] offsets ${batch.firstOffset()}..${lastOffset} (attempt ${attempt}); retrying in ${delay} ms`, {
        groupId: options.groupId,
        error: failure instanceof Error ? failure.message : String(failure),
      });
      await this.backoff(delay, isRunning, heartbeat);
      delay = Math.min(delay * 2, this.options.retryMaxDelayMs ?? 10_000);
    }
    await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: nextOffset(lastOffset) }]);
    resolveOffset(lastOffset);
    await heartbeat();
  }

  /** Waits `ms` in small steps, heartbeating, and returns early when the consumer stops. */
  private async backoff(ms: number, isRunning: () => boolean, heartbeat: () => Promise<void>): Promise<void> {
    const until = Date.now() + ms;
    while (isRunning() && Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(100, until - Date.now())));
      await heartbeat();
    }
  }

  async ensureTopics(topics: { topic: string; partitions?: number }[]): Promise<void> {
    if (topics.length === 0) return;
    const admin = await this.connectedAdmin();
    const existing = new Set(await admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.topic));
    if (missing.length === 0) return;
    await admin.createTopics({
      waitForLeaders: false,
      topics: missing.map((t) => ({ topic: t.topic, numPartitions: t.partitions ?? -1 })),
    });
    // wait for every partition to have a leader; kafkajs' waitForLeaders gives up on the UNKNOWN_TOPIC_OR_PARTITION
    // a busy broker answers right after creation
    const names = missing.map((t) => t.topic);
    const deadline = Date.now() + (this.options.requestTimeoutMs ?? 30_000);
    for (;;) {
      let ready = false;
      try {
        const metadata = await admin.fetchTopicMetadata({ topics: names });
        ready = metadata.topics.length === names.length && metadata.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      } catch (error) {
        if (!(error instanceof Error && (error as { retriable?: boolean }).retriable)) throw error;
      }
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topics ${names.join(', ')} have no partition leaders after creation`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async ping(): Promise<void> {
    const admin = await this.connectedAdmin();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0) throw new Error('Kafka cluster has no live brokers');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.subscriptions].map((s) => s.stop()));
    await this.publishQueue;
    const producers = await Promise.all(this.producers.map((p) => (p ? p.catch(() => undefined) : Promise.resolve(undefined))));
    const admin = this.adminReady ? await this.adminReady.catch(() => undefined) : undefined;
    await Promise.allSettled([...producers.map((p) => p?.disconnect()), admin?.disconnect()]);
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('KafkaBus is closed');
  }

  private connectedProducer(shard: number): Promise<Producer> {
    let ready = this.producers[shard];
    if (!ready) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 5,
        allowAutoTopicCreation: false,
        // every message arrives with its partition (send), which kafkajs' default partitioner would also return,
        // after filtering the partition list once per message
        createPartitioner: presetPartitioner,
      });
      ready = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.producers[shard] = undefined;
          throw error;
        },
      );
      this.producers[shard] = ready;
    }
    return ready;
  }

  private connectedAdmin(): Promise<Admin> {
    this.assertOpen();
    if (!this.adminReady) {
      const admin = this.kafka.admin();
      this.adminReady = admin.connect().then(
        () => admin,
        (error: unknown) => {
          this.adminReady = undefined;
          throw error;
        },
      );
    }
    return this.adminReady;
  }
}
