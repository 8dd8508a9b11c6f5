import { Inject, Injectable, Logger } from '@nestjs/common';
import { policyPreset } from '@insiders/features-core';
import { buildSegmentChangeEvents, diffMemberships, type Membership, type MembershipChange } from '@insiders/segments';
import { chTime } from '@insiders/storage';
import { ClustererRepository, isoTime, type ChangedCustomer, type HistoryRow, type MembershipRow } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { assignWithModel } from '../domain/assign';
import { MembershipWriteLock } from '../domain/membership-write.lock';
import { FeedCursor } from '../domain/feed-cursor';
import { prepareFeatures } from '../model/feature-matrix';
import { ActiveModelCache } from '../model/active-model.cache';
import { SegmentChangePublisher } from '../segment-change.publisher';
import { historyRow } from '../domain/history.rows';

/** The features writer's in-process notification (apps/features FeatureChange, by shape: apps do not import each other). */
export interface FeaturesChanged {
  customerKeys: readonly string[];
  atMs: number;
}

export interface AssignChangedResult {
  customers: number;
  changes: number;
  /** Feed entries the pass consumed (customers plus keys the policy drops); 0 when the feed had nothing new. */
  feedRows?: number;
  cursor: string | null;
  /** Milliseconds per step of the pass (feed, features, assign, publish; the store runs after, see `stored`). */
  timings?: Record<string, number>;
  /** Customers re-assigned by the pass (benchmarks attribute per-customer latency with it). */
  customerIds?: string[];
  /** Wall clock (Date.now()) at the start of the pass and at the end of each step. */
  marks?: Record<string, number>;
  /** Resolves with the milliseconds the pass's store took once it is stored (NaN if it failed). */
  stored?: Promise<number>;
}

/**
 * Between refits: customers whose features changed since the feed cursor (and new customers) are placed with the
 * active model; exactly those whose segment or Insider flag changed are published, then appended to the history
 * (reason `incremental`, business time = the customer's change time) and rewritten in memberships; then the saved
 * cursor advances. Events go out before the store so that their latency does not include it, and in the scheduler
 * loop the store runs in the background while the next pass reads (`executePipelined`): that pass diffs against
 * the memberships decided but not yet stored, kept in memory until their store is done.
 *
 * Crash safety: the cursor is saved only after the store, in pass order, so a crash anywhere repeats the passes
 * after the saved cursor at the next start (FeedCursor: at most CLUSTERER_CURSOR_SAVE_MS plus the grace window of
 * the feed). A repeated pass diffs against memberships that may or may not hold its result: events are published
 * again with the same event ids (at-least-once), and history rows that a crashed process already wrote are found by
 * (customer, time, model, reason) and not written twice, for every change up to the feed head seen at start (the
 * only ones a previous process can have handled).
 */
@Injectable()
export class AssignChangedCustomersUseCase {
  private readonly logger = new Logger(AssignChangedCustomersUseCase.name);
  /** Changes up to this feed time may have been handled by a crashed process (undefined: not read yet). */
  private recoveryHorizon: string | null | undefined = undefined;
  /** Memberships decided by passes whose store is still running (the next pass diffs against them). */
  private readonly unstored = new Map<string, Membership>();
  /** The store batch passes still add to (null: the next pass opens one). */
  private queued: StoreBatch | null = null;
  /** Store batches not done yet, oldest first. */
  private readonly storing: StoreBatch[] = [];
  private stopping = false;

  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
    private readonly publisher: SegmentChangePublisher,
    private readonly lock: MembershipWriteLock,
    private readonly cursor: FeedCursor,
  ) {}

  /** One pass; resolves once its result is stored (CLI, tests, benchmarks' warm-up). */
  async execute(): Promise<AssignChangedResult> {
    const result = await this.lock.run(() => this.pass(false));
    await this.lock.settled();
    return result;
  }

  /**
   * One pass that resolves once its events are published; its store continues in the background while the next
   * pipelined pass already reads (the scheduler loop), together with the results of the passes of the next
   * CLUSTERER_STORE_DELAY_MS (see queueStore). Any other holder of the membership write lock (a refit) waits for all
   * stores.
   */
  async executePipelined(): Promise<AssignChangedResult> {
    return this.lock.run(() => this.pass(true), { pipelined: true });
  }

  /** Customers this process's features writer just committed to the feed (see FeedCursor.announce). */
  announce(change: FeaturesChanged): void {
    this.cursor.announce(change.customerKeys, change.atMs);
  }

  /** Shutdown: waits for the running store (retries stop) and saves the feed cursor if it moved since its last save. */
  async flush(): Promise<void> {
    this.stopping = true;
    await this.lock.run(() => this.cursor.flush());
  }

  private async pass(pipelined: boolean): Promise<AssignChangedResult> {
    const model = await this.cache.get();
    if (!model) return { customers: 0, changes: 0, cursor: null };
    const policy = policyPreset(this.config.FEATURE_POLICY);
    const timings: Record<string, number> = {};
    const marks: Record<string, number> = { start: Date.now() };
    let t = performance.now();
    const lap = (step: string): void => {
      const now = performance.now();
      timings[step] = Math.round(now - t);
      marks[step] = Date.now();
      t = now;
    };
    if (this.recoveryHorizon === undefined) this.recoveryHorizon = await this.repository.feedHead();
    const feed = await this.cursor.next((since, limit) => this.repository.changedSince(policy, since, limit), this.config.CLUSTERER_POLL_LIMIT);
    if (feed.length === 0) return { customers: 0, changes: 0, feedRows: 0, cursor: await this.cursor.get() };
    lap('feed');
    const changedAt = new Map<string, string>();
    const idsByKey = new Map<string, string>();
    for (const r of feed) {
      if (r.customerId === null) continue;
      changedAt.set(r.customerId, r.changedAt);
      idsByKey.set(r.key, r.customerId);
    }
    const ids = [...changedAt.keys()];
    // independent reads: the changed customers' features and their current memberships
    const [features, current] = await Promise.all([
      this.repository.readCurrentFeatures(policy, idsByKey).then((f) => f ?? this.repository.readFeatures(policy, { customerIds: ids })),
      this.repository.currentMemberships(ids),
    ]);
    for (const id of ids) {
      const decided = this.unstored.get(id); // decided by a pass whose store is still running
      if (decided) current.set(id, decided);
    }
    lap('features');
    const prepared = prepareFeatures(features, model.bundle.featureSet);
    const assigned = assignWithModel(model.bundle, model.handle, prepared);
    lap('assign');
    const version = model.row.version;
    const next = new Map<string, Membership>(assigned.map((a) => [a.customerId, { segmentId: a.segmentId, isInsider: a.isInsider, modelVersion: version }]));
    const changes = diffMemberships(current, next, { complete: false });
    const now = Date.now();
    const at = (c: MembershipChange): string => isoTime(changedAt.get(c.customerId)!);
    if (changes.length) {
      const segments = new Map(model.bundle.segments.map((s) => [s.id, { name: s.name, insiders: s.isInsiders }]));
      const emittedAt = new Date(now).toISOString();
      const events = [...groupBy(changes, at)].flatMap(([time, group]) =>
        buildSegmentChangeEvents(group, { modelVersion: version, reason: 'incremental', at: time, emittedAt, segments }),
      );
      await this.publisher.publish(events);
    }
    lap('publish');
    const history = changes.map((c) => historyRow(c, { at: at(c), recordedAt: now, modelVersion: version, reason: 'incremental' }));
    const memberships: MembershipRow[] = assigned.map((a) => ({
      customer_id: a.customerId,
      segment_id: a.segmentId,
      is_insider: a.isInsider ? 1 : 0,
      model_version: version,
      confidence: a.confidence,
      map_x: a.mapX,
      map_y: a.mapY,
      reason: 'incremental',
      updated_at: chTime(now),
    }));
    for (const [id, m] of next) this.unstored.set(id, m);
    await this.cursor.handOut(feed);
    const horizon = this.recoveryHorizon;
    if (horizon !== null && (await this.cursor.get()) > horizon) this.recoveryHorizon = null;
    const stored = this.queueStore({ history, memberships, feed, decided: next, horizon }, pipelined ? this.config.CLUSTERER_STORE_DELAY_MS : 0);
    // storage slower than the passes: wait rather than pile up results in memory (one batch storing, one filling)
    if (this.storing.length > 2) await this.storing[0]!.done.catch(() => undefined);
    if (changes.length) this.logger.debug(`incremental: ${assigned.length} customers re-assigned, ${changes.length} changes, ${JSON.stringify(timings)}`);
    return { customers: assigned.length, changes: changes.length, feedRows: feed.length, cursor: await this.cursor.get(), timings, customerIds: prepared.customerIds, marks, stored };
  }

  /**
   * Hands a pass's result to the background store. Results queued while a store runs (or within `delayMs` of the
   * first one) are stored together: one insert per table for several passes, which keeps the clusterer's share of
   * the storage engine small while the features consumer needs it. Resolves with the store's milliseconds.
   */
  private async queueStore(part: StorePart, delayMs: number): Promise<number> {
    let batch = this.queued;
    if (!batch) {
      const opened = performance.now();
      const fresh: StoreBatch = { parts: [], storeMs: Number.NaN, done: Promise.resolve() };
      fresh.done = this.lock.inBackground(async () => {
        const wait = opened + delayMs - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait)); // gather the passes of the next moments
        if (this.queued === fresh) this.queued = null; // later passes start the next batch
        const started = performance.now();
        await this.store(fresh.parts);
        fresh.storeMs = performance.now() - started;
      });
      batch = this.queued = fresh;
      this.storing.push(fresh);
      const forget = (): void => {
        const i = this.storing.indexOf(fresh);
        if (i >= 0) this.storing.splice(i, 1);
      };
      fresh.done.then(forget, forget);
    }
    batch.parts.push(part);
    const target = batch;
    if (target.parts.reduce((n, p) => n + p.memberships.length, 0) >= MAX_QUEUED_MEMBERSHIPS) this.queued = null;
    return target.done.then(
      () => target.storeMs,
      () => Number.NaN,
    );
  }

  /**
   * History, then memberships, then the stored feed position, for the passes of a batch in pass order. Each step is
   * retried until it succeeds (storage hiccups) unless the process is stopping; a history retry writes only the
   * rows not found in storage.
   */
  private async store(parts: readonly StorePart[]): Promise<void> {
    const history = parts.flatMap((p) => p.history);
    const horizon = parts.find((p) => p.horizon !== null)?.horizon ?? null; // one value while set: the feed head at start
    if (history.length) await this.retrying('history', async (attempt) => this.repository.writeHistory(await this.notYetRecorded(history, attempt > 1 ? 'all' : horizon)));
    await this.retrying('memberships', () => this.repository.writeMemberships(parts.flatMap((p) => p.memberships)));
    await this.retrying('feed cursor', () => this.cursor.stored(parts.flatMap((p) => p.feed)));
    for (const p of parts) for (const [id, m] of p.decided) if (this.unstored.get(id) === m) this.unstored.delete(id);
  }

  private async retrying(what: string, step: (attempt: number) => Promise<void>): Promise<void> {
    for (let attempt = 1, delay = 200; ; attempt++, delay = Math.min(delay * 2, 5_000)) {
      try {
        return await step(attempt);
      } catch (error) {
        if (this.stopping) throw error;
        this.logger.warn(`incremental: storing ${what} failed (attempt ${attempt}), retrying in ${delay} ms: ${error instanceof Error ? error.message : String(error)}`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /**
   * Drops history rows already in storage: those of a crashed process (only changes up to the feed head it left,
   * `horizon`, can be repeats), or all rows when `horizon` is null after a failed attempt of this process.
   */
  private async notYetRecorded(rows: HistoryRow[], horizon: string | null | 'all'): Promise<HistoryRow[]> {
    const bound = horizon === 'all' || horizon === null ? null : chTime(isoTime(horizon));
    const suspects = horizon === 'all' ? rows : bound ? rows.filter((r) => r.at <= bound) : [];
    if (suspects.length === 0) return rows;
    const existing = await this.repository.existingHistory(suspects[0]!.model_version, 'incremental', suspects.map((r) => ({ customerId: r.customer_id, at: r.at })));
    if (existing.size) this.logger.warn(`incremental: ${existing.size} history rows were already written by an interrupted pass; not written again`);
    return rows.filter((r) => !existing.has(`${r.customer_id}|${r.at}`));
  }
}

/** One pass's result to store. */
interface StorePart {
  history: HistoryRow[];
  memberships: MembershipRow[];
  feed: ChangedCustomer[];
  decided: Map<string, Membership>;
  /** The recovery horizon when the pass ran (see notYetRecorded). */
  horizon: string | null;
}

interface StoreBatch {
  parts: StorePart[];
  storeMs: number;
  done: Promise<void>;
}

/** A store batch this large takes no more passes (bounds the memory held for it). */
const MAX_QUEUED_MEMBERSHIPS = 100_000;

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = out.get(k);
    if (group) group.push(item);
    else out.set(k, [item]);
  }
  return out;
}
