import { Logger } from '@nestjs/common';
import { decodeInvoiceLine, invoiceLineKey, type InvoiceLineEvent } from '@insiders/events';
import { quarantineReason, type CleaningPolicy, type QuarantineBounds } from '@insiders/features-core';
import type { ConsumedBatch } from '@insiders/messaging';
import type { MetricsRegistry } from '@insiders/observability';
import { chTime, rawLineRows, type FeaturesRepository, type FirstSeenRow, type LinesInsert, type QuarantineRow } from './features.repository';

interface PreparedBatch {
  started: number;
  quarantine: QuarantineRow[];
  firstSeen: Map<string, { anonymous: 0 | 1; time: string; line: number }>;
  /** Every decoded, in-batch-unique line (duplicates of stored events are dropped when storing). */
  insert: LinesInsert;
}

export interface BatchOutcome {
  received: number;
  inserted: number;
  duplicates: number;
  quarantined: number;
}

/**
 * One consumed batch → storage, in an order that makes every crash point safe (the bus commits only after
 * `process` resolves, so a crashed batch is delivered again):
 *  1. decode; schema-invalid or absurd lines → quarantine (with reason), never counted;
 *  2. record first appearance of every customer key of the batch (min fold: idempotent);
 *  3. drop in-batch duplicates and event ids already in invoice_lines; insert the rest in one part tagged with a
 *     new batch_seq (raw is the truth: an event id is either stored with its row or not at all);
 *  4. fold the rows of that batch_seq into the states of every maintained policy (deduplicated by token
 *     <policy>:<batch_seq>) and mark the batch applied; a crash between 3 and 4 leaves a batch_seq without mark,
 *     which `recover()` re-applies at start-up before consuming;
 *  5. mark the batch's customers changed (the clusterer's feed) — after their states are written.
 */
export class InvoiceLinesProcessor {
  private readonly logger = new Logger('InvoiceLinesProcessor');
  private readonly metrics;
  private windowStarted = Date.now();
  private windowRows = 0;
  private lastSeq = 0n;
  private queue: Promise<unknown> = Promise.resolve();
  /** Cumulative wall-clock ms per step since start (benchmarks, debugging). */
  readonly stepMs: Record<'decode' | 'exists' | 'activity' | 'insert' | 'states', number> = { decode: 0, exists: 0, activity: 0, insert: 0, states: 0 };

  constructor(
    private readonly repository: FeaturesRepository,
    private readonly policies: readonly CleaningPolicy[],
    private readonly bounds: QuarantineBounds,
    registry: MetricsRegistry,
    private readonly clock: () => number = Date.now,
  ) {
    this.metrics = {
      lag: registry.gauge('features_consumer_lag_messages', 'Messages behind the end of the partition after the last batch', ['topic', 'partition']),
      batchSize: registry.histogram('features_batch_size_messages', 'Messages per consumed batch', [1, 10, 100, 1_000, 5_000, 10_000, 20_000, 50_000, 100_000]),
      batchSeconds: registry.histogram('features_batch_duration_seconds', 'Time to store a batch and update its states', [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30]),
      rows: registry.counter('features_rows_total', 'Invoice lines consumed, by outcome', ['outcome']),
      rate: registry.gauge('features_rows_per_second', 'Invoice lines stored per second over the last reporting window'),
      lastBatch: registry.gauge('features_last_batch_timestamp_seconds', 'When the last batch was committed to storage'),
    };
  }

  /**
   * Stores one batch. Decoding runs at once; everything that reads or writes storage runs one batch at a time
   * (`serially`), in the order above. chDB runs queries off the JavaScript thread, so JavaScript work overlaps
   * ClickHouse work: the insert text is built while the duplicate check runs, and with partitions consumed
   * concurrently the next batch decodes while this one is written. The duplicate check and the insert stay
   * strictly sequential: two in-flight batches can never both find an event id new and both store it.
   */
  async process(batch: ConsumedBatch): Promise<BatchOutcome> {
    const prepared = this.prepare(batch);
    return this.serially(() => this.store(batch, prepared));
  }

  /** Decode, quarantine, in-batch dedupe and first appearances: JavaScript only, no storage. */
  private prepare(batch: ConsumedBatch): PreparedBatch {
    const started = this.clock();
    const ingestedAt = chTime(started);
    const quarantine: QuarantineRow[] = [];
    const byId = new Map<string, { offset: string; event: InvoiceLineEvent }>();
    for (const m of batch.messages) {
      let event: InvoiceLineEvent;
      try {
        event = decodeInvoiceLine(m.value);
      } catch (e) {
        quarantine.push(this.quarantineRow(batch, m.offset, `${batch.topic}:${batch.partition}:${m.offset}`, `undecodable: ${(e as Error).message}`, m.value, ingestedAt));
        continue;
      }
      const reason = quarantineReason(event, this.bounds, started);
      if (reason !== null) {
        quarantine.push(this.quarantineRow(batch, m.offset, event.eventId, reason, m.value, ingestedAt));
        continue;
      }
      if (!byId.has(event.eventId)) byId.set(event.eventId, { offset: m.offset, event });
    }
    const firstSeen = new Map<string, { anonymous: 0 | 1; time: string; line: number }>();
    for (const { event } of byId.values()) {
      const key = invoiceLineKey(event);
      const line = event.sourceLine ?? 0;
      const seen = firstSeen.get(key);
      if (!seen || event.invoiceTime < seen.time || (event.invoiceTime === seen.time && line < seen.line)) {
        firstSeen.set(key, { anonymous: event.customerId === null ? 1 : 0, time: event.invoiceTime, line });
      }
    }
    const lines = [...byId.values()];
    const insert: LinesInsert = { topic: batch.topic, partition: batch.partition, ingestedAtMs: started, batchSeq: this.nextBatchSeq(), lines };
    this.stepMs.decode += this.clock() - started;
    return { started, quarantine, firstSeen, insert };
  }

  private async store(batch: ConsumedBatch, { started, quarantine, firstSeen, insert }: PreparedBatch): Promise<BatchOutcome> {
    let t = this.clock();
    const existingQuery = this.repository.existingEventIds(insert.lines.map((l) => l.event.eventId));
    // ClickHouse looks the ids up off the JavaScript thread: build the insert text meanwhile
    const rows = rawLineRows(insert);
    const firstSeenRows = [...firstSeen].map(
      ([customer_key, f]): FirstSeenRow => ({ customer_key, anonymous: f.anonymous, first_seen: [f.time.slice(0, 23).replace('T', ' '), f.line] }),
    );
    const existing = await existingQuery;
    let fresh = insert;
    let freshRows = rows;
    if (existing.size > 0) {
      const keep = insert.lines.map((l) => !existing.has(l.event.eventId));
      fresh = { ...insert, lines: insert.lines.filter((_, i) => keep[i]) };
      freshRows = rows.filter((_, i) => keep[i]);
    }
    t = this.lap('exists', t);
    await this.repository.insertQuarantine(quarantine);
    await this.repository.recordFirstSeen(firstSeenRows);
    t = this.lap('activity', t);
    if (fresh.lines.length > 0) {
      await this.repository.insertLines(fresh, freshRows);
      t = this.lap('insert', t);
      await this.applyBatch(fresh.batchSeq, fresh.lines.length);
      t = this.lap('states', t);
    }
    await this.repository.markChanged([...firstSeen.keys()], this.clock());
    this.lap('activity', t);

    const received = batch.messages.length;
    const outcome: BatchOutcome = {
      received,
      inserted: fresh.lines.length,
      duplicates: received - quarantine.length - fresh.lines.length,
      quarantined: quarantine.length,
    };
    this.record(batch, outcome, started);
    return outcome;
  }

  /** Runs `step` after every earlier one finished (failed or not): storage work of one batch at a time. */
  private serially<T>(step: () => Promise<T>): Promise<T> {
    const run = this.queue.then(step);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private lap(step: keyof InvoiceLinesProcessor['stepMs'], since: number): number {
    const now = this.clock();
    this.stepMs[step] += now - since;
    return now;
  }

  private quarantineRow(batch: ConsumedBatch, offset: string, eventId: string, reason: string, value: Buffer, at: string): QuarantineRow {
    return { event_id: eventId, reason, payload: value.toString('utf8'), topic: batch.topic, partition: batch.partition, offset, quarantined_at: at };
  }

  /** States for every maintained policy, then the batch is marked applied. Idempotent (see FeaturesRepository.applyBatch). */
  async applyBatch(seq: string, rows: number): Promise<void> {
    for (const policy of this.policies) await this.repository.applyBatch(policy, seq);
    await this.repository.markBatchApplied(seq, rows);
  }

  /** Re-applies batches whose raw rows were stored but whose states were not (crash between the two). */
  async recover(): Promise<number> {
    const pending = await this.repository.unappliedBatches();
    for (const seq of pending) {
      await this.applyBatch(seq, 0);
      this.logger.warn(`re-applied states of batch ${seq} (interrupted before its states were marked applied)`);
    }
    return pending.length;
  }

  /** Unique, increasing per process and across restarts: microseconds since the epoch, bumped on collision. */
  private nextBatchSeq(): string {
    const candidate = BigInt(this.clock()) * 1000n;
    this.lastSeq = candidate > this.lastSeq ? candidate : this.lastSeq + 1n;
    return this.lastSeq.toString();
  }

  private record(batch: ConsumedBatch, outcome: BatchOutcome, started: number): void {
    const now = this.clock();
    if (batch.lag !== undefined) this.metrics.lag.set({ topic: batch.topic, partition: String(batch.partition) }, batch.lag);
    this.metrics.batchSize.observe(outcome.received);
    this.metrics.batchSeconds.observe((now - started) / 1000);
    this.metrics.rows.inc({ outcome: 'inserted' }, outcome.inserted);
    this.metrics.rows.inc({ outcome: 'duplicate' }, outcome.duplicates);
    this.metrics.rows.inc({ outcome: 'quarantined' }, outcome.quarantined);
    this.metrics.lastBatch.set(now / 1000);
    this.windowRows += outcome.received;
    const elapsed = now - this.windowStarted;
    if (elapsed >= 5_000) {
      const rate = (this.windowRows * 1000) / elapsed;
      this.metrics.rate.set(rate);
      this.logger.log(
        `${this.windowRows} lines in ${(elapsed / 1000).toFixed(1)} s (${Math.round(rate)}/s); last batch ${outcome.received} (inserted ${outcome.inserted}, duplicates ${outcome.duplicates}, quarantined ${outcome.quarantined}) in ${now - started} ms, lag ${batch.lag ?? 'n/a'}`,
      );
      this.windowStarted = now;
      this.windowRows = 0;
    } else {
      this.logger.debug(`batch ${batch.topic}/${batch.partition}: ${JSON.stringify(outcome)} in ${now - started} ms, lag ${batch.lag ?? 'n/a'}`);
    }
  }
}
