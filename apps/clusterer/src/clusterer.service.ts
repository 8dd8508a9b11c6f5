import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { RefitRequest, RefitTrigger, TriggerResult } from '@insiders/api-contracts';
import { ClustererRepository, type ModelTrigger } from './clusterer.repository';
import { CLUSTERER_CONFIG } from './clusterer.tokens';
import type { ClustererConfig } from './clusterer.config';
import { SegmentChangePublisher } from './segment-change.publisher';
import { AssignChangedCustomersUseCase, type AssignChangedResult, type FeaturesChanged } from './use-cases/assign-changed.use-case';
import { CheckDriftUseCase } from './use-cases/check-drift.use-case';
import { RecoverUseCase } from './use-cases/recover.use-case';
import { RefitUseCase, type RefitResult } from './use-cases/refit.use-case';

/** No active model yet: wait until the changed-customers feed has been quiet this long (e.g. a replay settled). */
const INITIAL_QUIET_MS = 3_000;
const INITIAL_RETRY_MS = 30_000;
/** Refit triggers are checked at most this often (and at least every CLUSTERER_POLL_MS when that is longer). */
const REFIT_CHECK_MS = 1_000;

/**
 * The clusterer's lifecycle and scheduler. At start: crash recovery, then (with CLUSTERER_SCHEDULER) one loop that
 * polls the changed-customers feed (again at once after a busy pass, else every CLUSTERER_POLL_MS) for incremental
 * assignment and decides refits:
 * initial (no model yet and the feed is quiet), schedule (CLUSTERER_REFIT_INTERVAL_MS), changed customers
 * (CLUSTERER_REFIT_AFTER_CHANGED since the last refit) and drift (CLUSTERER_DRIFT_THRESHOLD, checked every
 * CLUSTERER_DRIFT_CHECK_MS). A refit runs in the background (its fit in a worker thread) while incremental
 * assignment continues with the active model. Also the API's refit trigger port.
 */
@Injectable()
export class ClustererService implements OnApplicationBootstrap, OnApplicationShutdown, RefitTrigger {
  private readonly logger = new Logger(ClustererService.name);
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wakeLoop: (() => void) | null = null;
  private wakeRequested = false;
  private lastRefitCheck = 0;
  private refitting: Promise<RefitResult> | null = null;
  private lastRefitAt = Date.now();
  private changedSinceRefit = 0;
  private lastDriftCheck = Date.now();
  private lastInitialAttempt = 0;
  private lastFeedHead: string | null = null;
  private feedQuietSince = Date.now();
  private readonly passListeners = new Set<(result: AssignChangedResult) => void>();

  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly publisher: SegmentChangePublisher,
    private readonly recover: RecoverUseCase,
    private readonly refit: RefitUseCase,
    private readonly assignChanged: AssignChangedCustomersUseCase,
    private readonly drift: CheckDriftUseCase,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.publisher.ensureTopic();
    await this.recover.execute();
    const active = await this.repository.activeModel();
    if (active) this.lastRefitAt = Date.parse(`${active.created_at.replace(' ', 'T')}Z`);
    if (this.config.CLUSTERER_SCHEDULER) this.startLoop();
  }

  /** Starts the scheduler loop (at bootstrap with CLUSTERER_SCHEDULER; benchmarks start it after a first refit). */
  startLoop(): void {
    this.loop ??= this.run();
  }

  /**
   * Changes are waiting in the features feed (an in-process notification from the features service): the loop
   * polls at once instead of at the next CLUSTERER_POLL_MS tick, and with the changed keys it needs not even read
   * the feed table for them.
   */
  wake(change?: FeaturesChanged): void {
    if (change) this.assignChanged.announce(change);
    this.wakeRequested = true;
    this.wakeLoop?.();
  }

  /** Calls `listener` after every incremental pass that assigned customers (metrics, benchmarks). */
  onPass(listener: (result: AssignChangedResult) => void): () => void {
    this.passListeners.add(listener);
    return () => this.passListeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.wakeLoop?.();
    await this.loop;
    await this.assignChanged.flush().catch((e: unknown) => this.logger.warn(`feed cursor not saved: ${e instanceof Error ? e.message : String(e)}`));
    await this.refitting?.catch(() => undefined);
  }

  /** Starts a refit now and resolves with its outcome (CLI, tests). Rejects when one is already running. */
  async runRefit(trigger: ModelTrigger = 'manual', note?: string): Promise<RefitResult> {
    if (this.refitting) throw new Error('a refit is already running');
    const run = this.refit.execute({ trigger, note });
    this.refitting = run;
    try {
      return await run;
    } finally {
      this.refitting = null;
      this.lastRefitAt = Date.now();
      this.changedSinceRefit = 0;
    }
  }

  /** RefitTrigger port: accepted when no refit is running; the refit continues in the background. */
  async requestRefit(request: RefitRequest): Promise<TriggerResult> {
    if (this.refitting) return { accepted: false, message: 'a refit is already running' };
    const version = await this.repository.nextModelVersion();
    this.background('manual', `${request.reason} (by ${request.requestedBy})`);
    return { accepted: true, id: String(version), message: `refit started (model version ${version})` };
  }

  /** One incremental assignment pass, resolved once stored (the loop runs the same pass, pipelined with its store). */
  async assignChangedNow(): Promise<AssignChangedResult> {
    const r = await this.assignChanged.execute();
    this.changedSinceRefit += r.customers;
    return r;
  }

  private background(trigger: ModelTrigger, note?: string): void {
    this.runRefit(trigger, note).catch((e: unknown) => this.logger.error(`refit failed: ${e instanceof Error ? e.message : String(e)}`));
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let busy = false;
      try {
        this.wakeRequested = false; // the pass below reads the feed: it sees whatever a wake announced so far
        const result = await this.assignChanged.executePipelined(); // its store overlaps the next pass
        this.changedSinceRefit += result.customers;
        busy = (result.feedRows ?? result.customers) > 0;
        if (busy) for (const listener of this.passListeners) listener(result);
        // the refit decision costs queries of its own: not on every pass of a busy feed
        if (Date.now() - this.lastRefitCheck >= Math.max(this.config.CLUSTERER_POLL_MS, REFIT_CHECK_MS)) {
          this.lastRefitCheck = Date.now();
          await this.maybeRefit();
        }
      } catch (e) {
        this.logger.error(`clusterer loop: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (busy) continue; // more changes may be waiting: poll again at once
      await this.sleep(this.config.CLUSTERER_POLL_MS);
    }
  }

  /** Waits `ms`, or less when woken (or when a wake arrived during the last pass). */
  private sleep(ms: number): Promise<void> {
    if (this.wakeRequested || this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeLoop = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeLoop = done;
    });
  }

  private async maybeRefit(): Promise<void> {
    if (this.refitting) return;
    const c = this.config;
    const now = Date.now();
    const head = await this.repository.feedHead();
    if (head !== this.lastFeedHead) {
      this.lastFeedHead = head;
      this.feedQuietSince = now;
    }
    const active = await this.repository.activeModel();
    if (!active) {
      if (head && now - this.feedQuietSince >= INITIAL_QUIET_MS && now - this.lastInitialAttempt >= INITIAL_RETRY_MS) {
        this.lastInitialAttempt = now;
        this.background('initial');
      }
      return;
    }
    if (c.CLUSTERER_REFIT_INTERVAL_MS > 0 && now - this.lastRefitAt >= c.CLUSTERER_REFIT_INTERVAL_MS) return this.background('schedule');
    if (c.CLUSTERER_REFIT_AFTER_CHANGED > 0 && this.changedSinceRefit >= c.CLUSTERER_REFIT_AFTER_CHANGED) {
      return this.background('changed-customers', `${this.changedSinceRefit} customers changed`);
    }
    if (c.CLUSTERER_DRIFT_THRESHOLD > 0 && now - this.lastDriftCheck >= c.CLUSTERER_DRIFT_CHECK_MS) {
      this.lastDriftCheck = now;
      const report = await this.drift.execute();
      if (report && report.max > c.CLUSTERER_DRIFT_THRESHOLD) {
        const worst = [...report.perFeature].sort((a, b) => b.psi - a.psi)[0]!;
        this.background('drift', `PSI ${report.max.toFixed(3)} on ${worst.name}`);
      }
    }
  }
}
