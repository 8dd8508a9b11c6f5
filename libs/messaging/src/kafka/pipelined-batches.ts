import type { Batch, Consumer, EachBatchPayload } from 'kafkajs';
import type { BatchHandler, ConsumedBatch } from '../event-bus';
import { type BatchTicket, InOrderCommits } from './in-order-commits.tracker';

export interface PipelinedBatchesSettings {
  topic: string;
  groupId: string;
  /** Batches of one partition handed to the handler and not committed yet, at most (> 1). */
  batchesInFlight: number;
  /** First delay before a failed batch is handed to the handler again; doubles up to retryMaxDelayMs. */
  retryDelayMs: number;
  retryMaxDelayMs: number;
  /** How often a kafkajs callback that waits heartbeats (kafkajs throttles to its heartbeat interval). */
  heartbeatStepMs: number;
  /** Turns a kafkajs batch into what the handler gets. */
  decode: (batch: Batch) => ConsumedBatch;
  warn: (message: string, extra?: Record<string, unknown>) => void;
}

/**
 * `eachBatch` of a KafkaBus subscription with `batchesInFlight` > 1: the next fetch of a partition starts while
 * the handler still works on the previous batches, and offsets are committed in order (kafka/in-order-commits).
 *
 * kafkajs 2.2.4 fetches a partition again only after `eachBatch` of its previous batch returned. Here eachBatch
 * starts the handler, resolves the batch's last offset (so the next fetch continues after it) and returns at
 * once, unless the partition already has `batchesInFlight` uncommitted batches: then it waits, heartbeating,
 * until the oldest is committed (backpressure: bounded memory and a bounded redelivery window). The handler is
 * therefore called for a partition's next batch before the previous call resolved (still in offset order).
 *
 * A rejected handler is retried with backoff while the consumer runs, the subscription is not stopping, no seek
 * made the batch stale and the group has not rebalanced since it was handed over; a batch that is given up
 * blocks the commits of its partition's later batches, which are then delivered again from the committed offset.
 *
 * kafkajs re-reads committed offsets when the group rebalances (or the consumer restarts after a crash), so its
 * next fetch of a partition may start before batches that are still running here. Such a batch (and the first one
 * of a partition) waits until every handler of the partition has settled, then starts a new chain; commits of
 * chains from before the rebalance are dropped (the partition may belong to another member now, which continues
 * from the committed offset: committing behind it would only cause more redelivery).
 */
export class PipelinedBatches {
  private readonly commits = new InOrderCommits();
  private readonly handlers = new Set<Promise<void>>();
  private readonly wakeup = new Wakeup();
  /** Offsets due to be committed, by partition, with the epoch of the chain that made them due. */
  private readonly due = new Map<number, { offset: string; epoch: number }>();
  private committing?: Promise<void>;
  private stopping = false;

  constructor(
    private readonly consumer: Consumer,
    private readonly handler: BatchHandler,
    private readonly settings: PipelinedBatchesSettings,
  ) {
    if (!Number.isInteger(settings.batchesInFlight) || settings.batchesInFlight < 2) throw new Error(`batchesInFlight must be an integer > 1, got ${settings.batchesInFlight}`);
    // every (re)join of the group, the first one included: kafkajs continues every partition from its committed offset
    consumer.on(consumer.events.GROUP_JOIN, () => {
      this.commits.newEpoch();
      this.wakeup.notify();
    });
  }

  /** kafkajs `eachBatch` (autoCommit and eachBatchAutoResolve off). */
  async eachBatch({ batch, heartbeat, isRunning, isStale, resolveOffset }: EachBatchPayload): Promise<void> {
    if (batch.messages.length === 0) return;
    const { partition } = batch;
    // the offset kafkajs fetched from: the previous batch's end when nothing moved the partition
    const from = (batch as Batch & { fetchedOffset?: string }).fetchedOffset ?? batch.firstOffset()!;
    for (;;) {
      // stopping, stopped or sought elsewhere: nothing handed over, nothing resolved
      if (this.stopping || !isRunning() || isStale()) return;
      if (!this.commits.continues(partition, from)) {
        if (this.commits.running(partition) === 0) {
          this.commits.restart(partition, from);
          continue;
        }
      } else if (this.commits.uncommitted(partition) < this.settings.batchesInFlight) break;
      await this.wakeup.wait(this.settings.heartbeatStepMs);
      await heartbeat(); // throws when the group rebalances: kafkajs rejoins, this batch was not handed over
    }
    const consumed = this.settings.decode(batch);
    const ticket = this.commits.add(partition, from, batch.lastOffset());
    resolveOffset(batch.lastOffset()); // kafkajs' next fetch of the partition continues after this batch
    const keepTrying = () => !this.stopping && isRunning() && !isStale() && this.commits.isCurrent(ticket);
    const run: Promise<void> = this.run(consumed, ticket, keepTrying).finally(() => {
      this.handlers.delete(run);
      this.wakeup.notify(); // a waiting eachBatch may go on now
    });
    this.handlers.add(run);
  }

  /**
   * Stops handing batches over, waits until every handler has settled and the commits that are due were sent.
   * The caller stops the consumer afterwards (kafkajs drops commits of a stopped consumer).
   */
  async drain(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify(); // waiting eachBatch calls return, retry backoffs end
    try {
      this.consumer.pause([{ topic: this.settings.topic }]); // no refetching of the batches left unresolved
    } catch {
      // not running (any more): nothing is fetched anyway
    }
    while (this.handlers.size > 0) await Promise.allSettled([...this.handlers]);
    while (this.committing) await this.committing;
  }

  /** Handles one batch (with retries) and commits what became committable; never rejects. */
  private async run(batch: ConsumedBatch, ticket: BatchTicket, keepTrying: () => boolean): Promise<void> {
    if (await this.handleWithRetries(batch, keepTrying)) {
      const offset = this.commits.succeed(ticket);
      if (offset !== undefined) this.commit(ticket.partition, offset, ticket.epoch);
    } else {
      this.commits.fail(ticket);
    }
  }

  /** True once the handler resolved; false when it failed and `keepTrying` said to give up. */
  private async handleWithRetries(batch: ConsumedBatch, keepTrying: () => boolean): Promise<boolean> {
    let delay = this.settings.retryDelayMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.handler(batch);
        return true;
      } catch (error) {
        const retrying = keepTrying();
        const first = batch.messages[0]?.offset;
        const last = batch.messages[batch.messages.length - 1]?.offset;
        this.settings.warn(
          `handler failed for ${batch.topic}[${batch.partition}] offsets ${first}..${last} (attempt ${attempt}); ${retrying ? `retrying in ${delay} ms` : 'giving up: the subscription stops or the group rebalanced, the batch stays uncommitted'}`,
          { groupId: this.settings.groupId, error: error instanceof Error ? error.message : String(error) },
        );
        if (!retrying) return false;
      }
      const until = Date.now() + delay;
      while (keepTrying() && Date.now() < until) await this.wakeup.wait(until - Date.now());
      if (!keepTrying()) return false;
      delay = Math.min(delay * 2, this.settings.retryMaxDelayMs);
    }
  }

  /** Queues a commit; one commit request at a time carries every partition's latest due offset. */
  private commit(partition: number, offset: string, epoch: number): void {
    this.due.set(partition, { offset, epoch });
    if (!this.committing) this.startCommitting();
  }

  private startCommitting(): void {
    this.committing = this.sendDueCommits().finally(() => {
      this.committing = undefined;
      if (this.due.size > 0) this.startCommitting(); // became due after the last request was taken
    });
  }

  private async sendDueCommits(): Promise<void> {
    while (this.due.size > 0) {
      // a chain retired by a rebalance commits nothing (see the class comment)
      const offsets = [...this.due]
        .filter(([, due]) => due.epoch === this.commits.epoch)
        .map(([partition, due]) => ({ topic: this.settings.topic, partition, offset: due.offset }));
      this.due.clear();
      if (offsets.length === 0) continue;
      try {
        // kafkajs retries retriable errors itself; a commit that still fails is not retried here: a later commit of
        // the partition covers it, or the batches are delivered again from the committed offset
        await this.consumer.commitOffsets(offsets);
      } catch (error) {
        this.settings.warn(`commit failed for ${this.settings.topic} ${offsets.map((o) => `[${o.partition}]@${o.offset}`).join(' ')}`, {
          groupId: this.settings.groupId,
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }
}

/** Lets async loops wait for "something changed" (a handler settled, a rebalance, stop) with a timeout. */
class Wakeup {
  private readonly waiters = new Set<() => void>();

  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.waiters.add(done);
    });
  }

  notify(): void {
    for (const done of [...this.waiters]) done();
  }
}
