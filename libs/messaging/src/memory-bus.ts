import type {
  BatchHandler,
  EventBus,
  IncomingMessage,
  OutgoingMessage,
  SubscribeOptions,
  Subscription,
} from './event-bus';

interface Group {
  topic: string;
  committed: number;
  handler: BatchHandler;
  running: boolean;
  stopped: boolean;
  idle: Promise<void>;
}

/**
 * In-process bus for the embedded default. Each topic is an append-only log (one partition); each consumer
 * group has its own committed position and receives batches of up to `maxBatch` messages in order. A handler
 * that throws is retried with backoff (nothing is skipped), exactly like an uncommitted Kafka batch.
 * `publish` resolves once appended; `drained()` resolves when every group has consumed everything.
 */
export class MemoryBus implements EventBus {
  readonly kind = 'memory' as const;
  private readonly logs = new Map<string, IncomingMessage[]>();
  private readonly groups = new Map<string, Group>();
  private readonly waiters = new Set<() => void>();

  constructor(private readonly options: { maxBatch?: number; retryDelayMs?: number } = {}) {}

  async publish(topic: string, messages: OutgoingMessage[]): Promise<void> {
    const log = this.logFor(topic);
    const now = Date.now();
    for (const m of messages) {
      log.push({
        key: m.key,
        value: typeof m.value === 'string' ? Buffer.from(m.value) : m.value,
        headers: m.headers ?? {},
        partition: 0,
        offset: String(log.length),
        timestamp: now,
      });
    }
    for (const group of this.groups.values()) if (group.topic === topic) this.pump(group);
  }

  async subscribe(options: SubscribeOptions, handler: BatchHandler): Promise<Subscription> {
    const id = `${options.topic}\u0000${options.groupId}`;
    if (this.groups.has(id)) throw new Error(`group ${options.groupId} already consumes ${options.topic} in this process`);
    const group: Group = {
      topic: options.topic,
      committed: options.fromBeginning === false ? this.logFor(options.topic).length : 0,
      handler,
      running: false,
      stopped: false,
      idle: Promise.resolve(),
    };
    this.groups.set(id, group);
    this.pump(group);
    return {
      stop: async () => {
        group.stopped = true;
        await group.idle;
        this.groups.delete(id);
      },
    };
  }

  async ensureTopics(): Promise<void> {}

  async ping(): Promise<void> {}

  /** Resolves when every subscribed group has consumed every published message (tests, graceful shutdown). */
  async drained(): Promise<void> {
    while (!this.isDrained()) await new Promise<void>((resolve) => this.waiters.add(resolve));
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) group.stopped = true;
    await Promise.all([...this.groups.values()].map((g) => g.idle));
    this.groups.clear();
  }

  /** Number of messages published to a topic (tests). */
  size(topic: string): number {
    return this.logFor(topic).length;
  }

  /** Messages of a topic, in order (tests and embedded tooling). */
  read(topic: string): readonly IncomingMessage[] {
    return this.logFor(topic);
  }

  private isDrained(): boolean {
    for (const g of this.groups.values()) if (g.running || g.committed < this.logFor(g.topic).length) return false;
    return true;
  }

  private logFor(topic: string): IncomingMessage[] {
    let log = this.logs.get(topic);
    if (!log) this.logs.set(topic, (log = []));
    return log;
  }

  private pump(group: Group): void {
    if (group.running || group.stopped) return;
    group.running = true;
    group.idle = this.run(group).finally(() => {
      group.running = false;
      this.notify();
    });
  }

  private async run(group: Group): Promise<void> {
    const log = this.logFor(group.topic);
    const maxBatch = this.options.maxBatch ?? 10_000;
    let failures = 0;
    while (!group.stopped && group.committed < log.length) {
      const messages = log.slice(group.committed, group.committed + maxBatch);
      try {
        await group.handler({ topic: group.topic, partition: 0, messages, lag: log.length - group.committed - messages.length });
        group.committed += messages.length;
        failures = 0;
      } catch {
        failures++;
        await new Promise((r) => setTimeout(r, Math.min(5_000, (this.options.retryDelayMs ?? 100) * 2 ** failures)));
      }
      this.notify();
    }
  }

  private notify(): void {
    if (!this.isDrained()) return;
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}
