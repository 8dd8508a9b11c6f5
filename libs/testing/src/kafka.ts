import { type Admin, Kafka, logLevel } from 'kafkajs';
import { expectEventually } from './eventually';
import { uniqueName } from './names';

/**
 * The brokers the integration/e2e global setup started or was given (KAFKA_BROKERS, comma-separated).
 * Throws with a hint when missing, so a test run outside jest's integration project fails clearly.
 */
export function kafkaBrokersFromEnv(env: Record<string, string | undefined> = process.env): string[] {
  const brokers = (env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b.length > 0);
  if (brokers.length === 0) {
    throw new Error(
      'KAFKA_BROKERS is not set: run through `npx jest --selectProjects integration` (its global setup starts ' +
        'a broker with scripts/kafka.sh) or export KAFKA_BROKERS=host:port',
    );
  }
  return brokers;
}

/** A kafkajs client for test helpers (quiet: errors only). */
export function testKafka(brokers: string[] = kafkaBrokersFromEnv(), clientId = 'insiders-test'): Kafka {
  return new Kafka({ clientId, brokers, logLevel: logLevel.ERROR, connectionTimeout: 3000 });
}

/**
 * Runs `use` with a connected admin client. Errors the broker marks retriable (e.g. "not the leader" while a new
 * topic's leadership settles on a busy broker) are retried with backoff for up to ~10 s.
 */
async function withAdmin<T>(brokers: string[] | undefined, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = testKafka(brokers ?? kafkaBrokersFromEnv()).admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        return await use(admin);
      } catch (error) {
        const retriable = (error as { retriable?: boolean }).retriable === true;
        if (!retriable || attempt >= 20) throw error;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * 2 ** attempt)));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** Creates `topic` with `partitions` partitions (replication 1) and waits until every partition has a leader. */
export async function createTopic(topic: string, partitions = 1, brokers?: string[]): Promise<string> {
  await withAdmin(brokers, async (admin) => {
    await admin.createTopics({ waitForLeaders: false, topics: [{ topic, numPartitions: partitions }] });
    // kafkajs' own waitForLeaders gives up on UNKNOWN_TOPIC_OR_PARTITION, which a busy broker answers at first
    await expectEventually(
      async () => {
        const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
        const parts = metadata.topics[0]?.partitions ?? [];
        if (parts.length !== partitions || parts.some((p) => p.leader < 0)) throw new Error(`topic ${topic} has no leaders yet`);
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
  });
  return topic;
}

/** Creates a uniquely named topic (`uniqueName(prefix)`) and returns its name. */
export async function createUniqueTopic(prefix: string, partitions = 1, brokers?: string[]): Promise<string> {
  return createTopic(uniqueName(prefix), partitions, brokers);
}

export async function deleteTopics(topics: string[], brokers?: string[]): Promise<void> {
  if (topics.length === 0) return;
  await withAdmin(brokers, (admin) => admin.deleteTopics({ topics }));
}

/** High watermark (next offset to be written) per partition. */
export async function topicEndOffsets(topic: string, brokers?: string[]): Promise<Map<number, bigint>> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  });
}

/** Number of messages in a topic (sum of high - low watermarks). */
export async function topicMessageCount(topic: string, brokers?: string[]): Promise<number> {
  return withAdmin(brokers, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(BigInt(o.high) - BigInt(o.low)), 0);
  });
}

/**
 * Committed offset per partition of a consumer group on a topic (the next offset the group will read;
 * partitions without a commit are absent).
 */
export async function committedOffsets(groupId: string, topic: string, brokers?: string[]): Promise<Map<number, bigint>> {
  return withAdmin(brokers, async (admin) => {
    const [result] = await admin.fetchOffsets({ groupId, topics: [topic] });
    const committed = new Map<number, bigint>();
    for (const p of result?.partitions ?? []) if (BigInt(p.offset) >= 0n) committed.set(p.partition, BigInt(p.offset));
    return committed;
  });
}

export interface ReadMessage {
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  timestamp: number;
}

export interface ReadAllOptions {
  brokers?: string[];
  /** Give up after this long (default 60 s). */
  timeoutMs?: number;
}

/**
 * Reads every message of `topic` that exists when called (up to the end offsets at that moment), with a
 * consumer in a throw-away group that is deleted afterwards. `onMessage` sees them in per-partition order.
 */
export async function consumeAll(
  topic: string,
  onMessage: (message: ReadMessage) => void,
  { brokers, timeoutMs = 60_000 }: ReadAllOptions = {},
): Promise<number> {
  const list = brokers ?? kafkaBrokersFromEnv();
  const ends = await topicEndOffsets(topic, list);
  const starts = await withAdmin(list, async (admin) => {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.low)]));
  });
  const pending = new Set([...ends].filter(([p, end]) => end > (starts.get(p) ?? 0n)).map(([p]) => p));
  if (pending.size === 0) return 0;
  const groupId = uniqueName('read-all');
  const consumer = testKafka(list).consumer({ groupId, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
  let count = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      timer = setTimeout(
        () => reject(new Error(`consumeAll(${topic}): partitions ${[...pending].join(',')} not read to the end in ${timeoutMs} ms`)),
        timeoutMs,
      );
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition) ?? 0n;
            for (const m of batch.messages) {
              if (BigInt(m.offset) >= end) break;
              count++;
              const headers: Record<string, string> = {};
              for (const [k, v] of Object.entries(m.headers ?? {})) if (v !== undefined) headers[k] = String(Array.isArray(v) ? v[0] : v);
              onMessage({
                partition: batch.partition,
                offset: m.offset,
                key: m.key ? m.key.toString('utf8') : null,
                value: m.value ? m.value.toString('utf8') : '',
                headers,
                timestamp: Number(m.timestamp),
              });
            }
            if (BigInt(batch.lastOffset()) + 1n >= end) pending.delete(batch.partition);
            if (pending.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
    await withAdmin(list, (admin) => admin.deleteGroups([groupId])).catch(() => undefined);
  }
  return count;
}

/** All messages of a topic (see consumeAll), ordered by partition then offset. */
export async function readAllMessages(topic: string, options: ReadAllOptions = {}): Promise<ReadMessage[]> {
  const messages: ReadMessage[] = [];
  await consumeAll(topic, (m) => messages.push(m), options);
  return messages.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}
