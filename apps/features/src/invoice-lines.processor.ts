import { setImmediate as nextTurn } from 'node:timers/promises';
import { Logger } from '@nestjs/common';
import { decodeInvoiceLine, InvoiceLineScan, scanInvoiceLine, type InvoiceLineEvent } from '@insiders/events';
import { isWithinBounds, quarantineReason, type CleaningPolicy, type QuarantineBounds } from '@insiders/features-core';
import type { ConsumedBatch } from '@insiders/messaging';
import type { MetricsRegistry } from '@insiders/observability';
import { chTime } from '@insiders/storage';
import type { FeaturesRepository, FirstSeenRow, QuarantineRow } from './features.repository';
import { EventIdSet, sameBytes } from './event-id.set';
import { RawRowsBuilder, roundEventIds, roundPieces, rowStart, tsvEscape, type RawRows } from './raw-rows.builder';

interface PreparedBatch {
  batch: ConsumedBatch;
  started: number;
  quarantine: QuarantineRow[];
  firstSeen: Map<string, FirstSeen>;
  /** The decoded lines with in-batch-unique event ids, in offset order. */
  rows: RawRows;
}

interface FirstSeen {
  anonymous: 0 | 1;
  timeMs: number;
  line: number;
}

/** A prepared batch waiting for the next storage round, and its caller. */
interface Waiting {
  prepared: PreparedBatch;
  resolve: (outcome: BatchOutcome) => void;
  reject: (error: unknown) => void;
}

/**
 * Messages decoded between two yields to the event loop: ~5-10 ms of work. A storage round is a chain of ClickHouse
 * statements, each started when the previous one's completion reaches this (JavaScript) thread; decoding a
 * 30,000-message batch in one go (~100 ms) would hold every completion behind it.
 */
const PREPARE_SLICE = 2_048;

const earlier = (a: FirstSeen, b: FirstSeen) => a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.line < b.line);

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
 * Batches that arrive while a round is being stored (partitions consumed concurrently) are stored together in the
 * next round, as one batch (group commit): one set of statements per round instead of per partition batch, so
 * the cost per batch (~7 statements) does not grow with the number of partitions, and each caller's promise
 * resolves only when the round that holds its batch is fully written.
 */
export class InvoiceLinesProcessor {
  private readonly logger = new Logger('InvoiceLinesProcessor');
  private readonly metrics;
  private windowStarted = Date.now();
  private windowRows = 0;
  private lastSeq = 0n;
  private waiting: Waiting[] = [];
  private storing = false;
  private scheduled = false;
  /**
   * A round failed: its rows may be stored without their states. Its batches are delivered again, find their lines
   * stored and insert nothing — so the next round first re-applies what is unapplied, as start-up does.
   */
  private recoverBeforeNextRound = false;
  /** Batches are prepared one after the other, in the order they were handed over (the last one's promise). */
  private preparing: Promise<unknown> = Promise.resolve();
  /** Reused by every scan (the scanner allocates nothing per message). */
  private readonly scan = new InvoiceLineScan();
  /** Storage rounds since start and the lines they inserted (benchmarks, debugging). */
  readonly rounds = { count: 0, lines: 0 };
  /** Cumulative wall-clock ms per step since start (benchmarks, debugging). */
  readonly stepMs: Record<'decode' | 'exists' | 'activity' | 'insert' | 'states', number> = { decode: 0, exists: 0, activity: 0, insert: 0, states: 0 };

  constructor(
    private readonly repository: FeaturesRepository,
    private readonly policies: readonly CleaningPolicy[],
    private readonly bounds: QuarantineBounds,
    registry: MetricsRegistry,
    private readonly clock: () => number = Date.now,
    /**
     * A round takes waiting batches until it holds this many lines (FEATURES_MAX_ROUND_LINES). Larger rounds cost less per line, but a huge
     * round after a pause (every batch fetched meanwhile) keeps the next batches waiting longer than it saves.
     */
    private readonly maxRoundLines = 100_000,
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
   * Stores one batch. Decoding runs at once; everything that reads or writes storage runs one round at a time,
   * in the order above, a round holding every batch that was waiting for it. chDB runs queries off the JavaScript
   * thread, so JavaScript work overlaps ClickHouse work: the insert text is built while the duplicate check runs,
   * and with partitions consumed concurrently the next batches decode while a round is written. The duplicate
   * check and the insert stay strictly sequential: two batches can never both find an event id new and both
   * store it.
   */
  async process(batch: ConsumedBatch): Promise<BatchOutcome> {
    const prepared = this.preparing.then(() => this.prepare(batch));
    this.preparing = prepared.catch(() => undefined);
    const ready = await prepared;
    return new Promise<BatchOutcome>((resolve, reject) => {
      this.waiting.push({ prepared: ready, resolve, reject });
      this.scheduleRound();
    });
  }

  /** Starts a round after the current tick, so that batches handed over together are stored together. */
  private scheduleRound(): void {
    if (this.scheduled || this.storing || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.storing || this.waiting.length === 0) return;
      // the waiting batches in arrival order, up to maxRoundLines lines (at least one batch)
      let take = 0;
      for (let lines = 0; take < this.waiting.length; take++) {
        lines += this.waiting[take]!.prepared.rows.ends.length;
        if (take > 0 && lines > this.maxRoundLines) break;
      }
      const round = this.waiting.splice(0, take);
      this.storing = true;
      void this.storeRound(round.map((w) => w.prepared))
        .then(
          (outcomes) => round.forEach((w, i) => w.resolve(outcomes[i]!)),
          (error: unknown) => {
            this.recoverBeforeNextRound = true;
            round.forEach((w) => w.reject(error));
          },
        )
        .finally(() => {
          this.storing = false;
          this.scheduleRound();
        });
    });
  }

  /**
   * Decode, quarantine, in-batch dedupe, first appearances and the raw rows: JavaScript only, no storage. Messages
   * in the canonical encoding (nearly all) are scanned in place and their rows copied from the message bytes; the
   * others are decoded and validated in full (which also names what is wrong with an invalid one).
   */
  private async prepare(batch: ConsumedBatch): Promise<PreparedBatch> {
    const started = this.clock();
    let busySince = started;
    let busy = 0;
    const ingestedAt = chTime(started);
    const quarantine: QuarantineRow[] = [];
    const firstSeen = new Map<string, FirstSeen>();
    const note = (key: string, anonymous: 0 | 1, timeMs: number, line: number) => {
      const known = firstSeen.get(key);
      if (!known) firstSeen.set(key, { anonymous, timeMs, line });
      else if (timeMs < known.timeMs || (timeMs === known.timeMs && line < known.line)) {
        known.timeMs = timeMs;
        known.line = line;
      }
    };
    let bytes = 0;
    for (const m of batch.messages) bytes += m.value.length;
    const rows = new RawRowsBuilder(batch.topic, batch.partition, Math.ceil(bytes * 1.3) + 48 * batch.messages.length);
    // in-batch duplicates: each row is written, then taken back if its event id was in the batch already
    const ids = new EventIdSet(() => rows.buffer, batch.messages.length);
    const isNew = (): boolean => {
      if (ids.add(0, rows.lastRowStart, rows.lastIdEnd)) return true;
      rows.dropLastRow();
      return false;
    };
    const scan = this.scan;
    // the previous scanned line's key bytes and first-appearance candidate (locals: no object per message)
    let prevValue: Buffer | undefined;
    let prevStart = 0;
    let prevEnd = 0;
    let prevAnonymous = 0;
    let prevTimeMs = 0;
    let prevLine = 0;
    const messages = batch.messages;
    for (let i = 0; i < messages.length; i++) {
      if (i % PREPARE_SLICE === PREPARE_SLICE - 1) {
        busy += this.clock() - busySince;
        await nextTurn(); // let the event loop through
        busySince = this.clock();
      }
      const m = messages[i]!;
      const value = m.value;
      if (scanInvoiceLine(value, scan) && isWithinBounds(scan.quantity, scan.unitPrice, scan.timeMs, this.bounds, started)) {
        rows.addScanned(value, scan, m.offset);
        if (!isNew()) continue;
        // the customer key: consecutive lines mostly share it (an invoice's lines) and come in time order, so a
        // line with the previous line's key that is not earlier cannot change its first appearance
        const anonymous = scan.customerIdStart < 0 ? 1 : 0;
        const keyStart = anonymous ? scan.invoiceNoStart : scan.customerIdStart;
        const keyEnd = anonymous ? scan.invoiceNoEnd : scan.customerIdEnd;
        const sameKey = prevValue !== undefined && prevAnonymous === anonymous && sameBytes(prevValue, prevStart, prevEnd, value, keyStart, keyEnd);
        if (!sameKey || scan.timeMs < prevTimeMs || (scan.timeMs === prevTimeMs && scan.sourceLine < prevLine)) {
          const id = value.toString('latin1', keyStart, keyEnd);
          note(anonymous ? `invoice:${id}` : id, anonymous, scan.timeMs, scan.sourceLine);
        }
        prevValue = value;
        prevStart = keyStart;
        prevEnd = keyEnd;
        prevAnonymous = anonymous;
        prevTimeMs = scan.timeMs;
        prevLine = scan.sourceLine;
        continue;
      }
      let event: InvoiceLineEvent;
      try {
        event = decodeInvoiceLine(value);
      } catch (e) {
        quarantine.push(this.quarantineRow(batch, m.offset, `${batch.topic}:${batch.partition}:${m.offset}`, `undecodable: ${(e as Error).message}`, value, ingestedAt));
        continue;
      }
      const reason = quarantineReason(event, this.bounds, started);
      if (reason !== null) {
        quarantine.push(this.quarantineRow(batch, m.offset, event.eventId, reason, value, ingestedAt));
        continue;
      }
      rows.addEvent(event, m.offset);
      if (!isNew()) continue;
      note(event.customerId ?? `invoice:${event.invoiceNo}`, event.customerId === null ? 1 : 0, Date.parse(event.invoiceTime), event.sourceLine ?? 0);
    }
    this.stepMs.decode += busy + this.clock() - busySince;
    return { batch, started, quarantine, firstSeen, rows: rows.finish() };
  }

  /** One storage round: the batches' lines as one insert with one batch_seq, then states, then the feed. */
  private async storeRound(round: readonly PreparedBatch[]): Promise<BatchOutcome[]> {
    if (this.recoverBeforeNextRound) {
      await this.recover();
      this.recoverBeforeNextRound = false;
    }
    let t = this.clock();
    const batchSeq = this.nextBatchSeq();
    // An event id in two batches of the round (published again under another key) is stored with the first.
    const keep = round.map((p) => new Uint8Array(p.rows.ends.length).fill(1));
    if (round.length > 1) {
      const roundIds = new EventIdSet((i) => round[i]!.rows.bytes, round.reduce((n, p) => n + p.rows.ends.length, 0));
      round.forEach(({ rows }, i) => {
        for (let j = 0; j < rows.ends.length; j++) if (!roundIds.add(i, rowStart(rows, j), rows.idEnds[j]!)) keep[i]![j] = 0;
      });
    }
    const existingQuery = this.repository.existingEventIds(roundEventIds(round.map((p, i) => ({ rows: p.rows, keep: keep[i]! }))));
    // ClickHouse looks the ids up off the JavaScript thread: merge the first appearances meanwhile
    const firstSeen = new Map<string, FirstSeen>();
    for (const p of round) {
      for (const [key, f] of p.firstSeen) {
        const seen = firstSeen.get(key);
        if (!seen || earlier(f, seen)) firstSeen.set(key, f);
      }
    }
    const firstSeenRows = [...firstSeen].map(
      ([customer_key, f]): FirstSeenRow => ({ customer_key, anonymous: f.anonymous, first_seen: [chTime(f.timeMs).slice(0, 23), f.line] }),
    );
    const existing = await existingQuery;
    if (existing.size > 0) {
      // rare (a replay): compare as the rows hold them, escaped
      const escaped = new Set([...existing].map(tsvEscape));
      round.forEach(({ rows }, i) => {
        for (let j = 0; j < rows.ends.length; j++) if (escaped.has(rows.bytes.toString('utf8', rowStart(rows, j), rows.idEnds[j]))) keep[i]![j] = 0;
      });
    }
    const { pieces, rows } = roundPieces(round.map((p, i) => ({ rows: p.rows, keep: keep[i]! })));
    t = this.lap('exists', t);
    await this.repository.insertQuarantine(round.flatMap((p) => p.quarantine));
    await this.repository.recordFirstSeen(firstSeenRows);
    t = this.lap('activity', t);
    this.rounds.count++;
    this.rounds.lines += rows;
    if (rows > 0) {
      await this.repository.insertLines(pieces, batchSeq, this.clock());
      t = this.lap('insert', t);
      await this.applyBatch(batchSeq, rows);
      t = this.lap('states', t);
    }
    await this.repository.markChanged([...firstSeen.keys()], this.clock());
    this.lap('activity', t);

    return round.map((p, i) => {
      const received = p.batch.messages.length;
      const inserted = keep[i]!.reduce((n, k) => n + k, 0);
      const outcome: BatchOutcome = { received, inserted, duplicates: received - p.quarantine.length - inserted, quarantined: p.quarantine.length };
      this.record(p.batch, outcome, p.started);
      return outcome;
    });
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

  /**
   * Unique, increasing per process and across restarts: microseconds since the epoch, bumped on collision.
   */
  private nextBatchSeq(): string {
    const candidate = BigInt(Math.max(Math.trunc(this.clock()), 1)) * 1000n;
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
