import { Inject, Injectable } from '@nestjs/common';
import { ClustererRepository, type ChangedCustomer } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';

export const FEED_CURSOR_KEY = 'feed_cursor';
const START = '1970-01-01 00:00:00.000000';
/** Announcements kept at most (e.g. a replay while no model is active yet): beyond, the table is read instead. */
const MAX_ANNOUNCED = 100_000;

/** DateTime64(6) text (UTC) `ms` milliseconds before `t`, floored to the millisecond. */
export function minusMs(t: string, ms: number): string {
  const at = Date.parse(`${t.slice(0, 23).replace(' ', 'T')}Z`) - ms;
  if (Number.isNaN(at) || at <= 0) return START;
  return `${new Date(at).toISOString().replace('T', ' ').replace('Z', '')}000`;
}

/**
 * Position in the changed-customers feed up to which customers were assigned and stored.
 *
 * The cursor is the latest change time assigned (DateTime64(6) text). A change is not necessarily committed in
 * the order of its time stamp (features consumers working on several partitions or in several processes stamp a
 * batch before its insert commits), so a read starts `CLUSTERER_FEED_GRACE_MS` before the cursor, and the
 * (key, change time) pairs already assigned in that window are remembered here and skipped: a late commit inside
 * the window is still seen, and a read cut by its LIMIT in the middle of one time stamp resumes with the rest.
 *
 * The cursor is saved in `clusterer_state` at most every CLUSTERER_CURSOR_SAVE_MS (and on flush / rewind): after a
 * crash the feed since the saved cursor (minus the window) is assigned again, which re-publishes the same events
 * (same event ids) and writes no history twice (see AssignChangedCustomersUseCase). Callers hold the membership
 * write lock, so a refit's rewind and an incremental pass's advance never race.
 */
@Injectable()
export class FeedCursor {
  private cached: string | null = null;
  /** Up to here the handed-out changes are stored: what may be saved. */
  private durable: string | null = null;
  private saved: string | null = null;
  private savedAt = 0;
  /** customer key → change time assigned, for change times inside the grace window. */
  private readonly assigned = new Map<string, string>();
  /** Changes this process's features writer announced (already committed to the feed table), not handed out yet. */
  private announced: ChangedCustomer[] = [];
  private lastTableRead = Number.NEGATIVE_INFINITY;
  /** Wall clock for the save and re-read intervals (replaced in tests). */
  clock: () => number = Date.now;

  constructor(
    private readonly repository: ClustererRepository,
    @Inject(CLUSTERER_CONFIG) private readonly config: Pick<ClustererConfig, 'CLUSTERER_FEED_GRACE_MS' | 'CLUSTERER_CURSOR_SAVE_MS'>,
  ) {}

  /** The position handed out so far: the next read starts here (minus the grace window). */
  async get(): Promise<string> {
    if (this.cached === null) {
      this.cached = (await this.repository.getState(FEED_CURSOR_KEY)) ?? START;
      this.durable = this.cached;
      this.saved = this.cached;
      this.savedAt = this.clock();
    }
    return this.cached;
  }

  /**
   * Changes committed to the feed table by this process (the features writer's in-process notification): the next
   * pass takes them from here instead of reading the table. Anonymous keys are not announced (their synthetic ids
   * need the table), nor is anything from other processes: the table is still read when nothing was announced, and
   * at least every CLUSTERER_FEED_GRACE_MS / 2 (so a late commit is caught while it is inside the grace window).
   */
  announce(customerKeys: readonly string[], atMs: number): void {
    const changedAt = `${new Date(atMs).toISOString().replace('T', ' ').replace('Z', '')}000`; // as markChanged stores it
    for (const key of customerKeys) {
      if (key.startsWith('invoice:')) {
        this.lastTableRead = Number.NEGATIVE_INFINITY; // read the table next time
        continue;
      }
      this.announced.push({ key, changedAt, customerId: key });
    }
    if (this.announced.length > MAX_ANNOUNCED) {
      this.announced = [];
      this.lastTableRead = Number.NEGATIVE_INFINITY;
    }
  }

  /**
   * The next changes to assign: at most `limit` not yet assigned, oldest first. From the announcements when there
   * are some and the table was read recently; else from the table, reading `limit` plus the pairs remembered in the
   * window, so skipping those never leaves a read short.
   */
  async next(read: (since: string, limit: number) => Promise<ChangedCustomer[]>, limit: number): Promise<ChangedCustomer[]> {
    const cursor = await this.get();
    const tableDue = this.clock() - this.lastTableRead >= this.config.CLUSTERER_FEED_GRACE_MS / 2;
    if (this.announced.length > 0 && !tableDue) {
      const batch = this.announced.splice(0, limit);
      return batch.filter((r) => this.assigned.get(r.key) !== r.changedAt);
    }
    this.announced = []; // the table holds them too
    this.lastTableRead = this.clock();
    const rows = await read(minusMs(cursor, this.config.CLUSTERER_FEED_GRACE_MS), limit + this.assigned.size);
    return rows.filter((r) => this.assigned.get(r.key) !== r.changedAt).slice(0, limit);
  }

  /** Records changes as assigned and stored (handOut + stored). */
  async advance(done: readonly ChangedCustomer[]): Promise<void> {
    await this.handOut(done);
    await this.stored(done);
  }

  /** Records changes as assigned (published; their store may still be running): later reads skip them. */
  async handOut(rows: readonly ChangedCustomer[]): Promise<void> {
    let to = await this.get();
    for (const r of rows) {
      this.assigned.set(r.key, r.changedAt);
      if (r.changedAt > to) to = r.changedAt;
    }
    this.cached = to;
    const horizon = minusMs(to, this.config.CLUSTERER_FEED_GRACE_MS);
    for (const [key, at] of this.assigned) if (at <= horizon) this.assigned.delete(key);
  }

  /** The handed-out changes are stored (in hand-out order): the saved cursor may move past them (saved when due). */
  async stored(rows: readonly ChangedCustomer[]): Promise<void> {
    let to = this.durable ?? (await this.get());
    for (const r of rows) if (r.changedAt > to) to = r.changedAt;
    this.durable = to;
    if (this.clock() - this.savedAt >= this.config.CLUSTERER_CURSOR_SAVE_MS) await this.flush();
  }

  /** Saves the stored position now if it moved since the last save (shutdown, tests). */
  async flush(): Promise<void> {
    if (this.durable === null || this.durable === this.saved) return;
    const value = this.durable;
    await this.repository.setState(FEED_CURSOR_KEY, value);
    this.saved = value;
    this.savedAt = this.clock();
  }

  /** Moves the cursor back to `head` if it is ahead of it (changes after `head` are assigned again). */
  async rewindTo(head: string): Promise<void> {
    for (const [key, at] of this.assigned) if (at > head) this.assigned.delete(key);
    this.announced = [];
    this.lastTableRead = Number.NEGATIVE_INFINITY;
    if ((await this.get()) > head) this.cached = head;
    if (this.durable !== null && this.durable > head) {
      this.durable = head;
      await this.flush();
    }
  }
}
