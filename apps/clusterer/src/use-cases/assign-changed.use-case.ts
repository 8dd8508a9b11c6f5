import { Inject, Injectable, Logger } from '@nestjs/common';
import { policyPreset } from '@insiders/features-core';
import { buildSegmentChangeEvents, diffMemberships, type Membership } from '@insiders/segments';
import { ClustererRepository, chTime, isoTime, type HistoryRow } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { assignWithModel } from '../domain/assign';
import { MembershipWriteLock } from '../domain/membership-write.lock';
import { FeedCursor } from '../domain/feed-cursor';
import { prepareFeatures } from '../model/feature-matrix';
import { ActiveModelCache } from '../model/active-model.cache';
import { SegmentChangePublisher } from '../segment-change.publisher';
import { historyRow } from '../domain/history.rows';

export interface AssignChangedResult {
  customers: number;
  changes: number;
  cursor: string | null;
  /** Milliseconds per step of the pass (feed, features, assign, diff, publish, store). */
  timings?: Record<string, number>;
}

/**
 * Between refits: customers whose features changed since the feed cursor (and new customers) are placed with the
 * active model; exactly those whose segment or Insider flag changed are published, appended to the history
 * (reason `incremental`) and rewritten in memberships; then the cursor advances. A crash before the cursor is saved
 * repeats the batch (idempotent apart from repeated events, which carry the same event id).
 */
@Injectable()
export class AssignChangedCustomersUseCase {
  private readonly logger = new Logger(AssignChangedCustomersUseCase.name);

  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
    private readonly publisher: SegmentChangePublisher,
    private readonly lock: MembershipWriteLock,
    private readonly cursor: FeedCursor,
  ) {}

  async execute(): Promise<AssignChangedResult> {
    return this.lock.run(() => this.pass());
  }

  private async pass(): Promise<AssignChangedResult> {
    const model = await this.cache.get();
    if (!model) return { customers: 0, changes: 0, cursor: null };
    const policy = policyPreset(this.config.FEATURE_POLICY);
    const timings: Record<string, number> = {};
    let t = performance.now();
    const lap = (step: string): void => {
      const now = performance.now();
      timings[step] = Math.round(now - t);
      t = now;
    };
    const cursor = await this.cursor.get();
    const feed = await this.repository.changedSince(policy, cursor, this.config.CLUSTERER_POLL_LIMIT);
    if (feed.keys === 0 || !feed.last) return { customers: 0, changes: 0, cursor };
    lap('feed');
    const features = await this.repository.readFeatures(policy, { customerIds: feed.customerIds });
    lap('features');
    const prepared = prepareFeatures(features, model.bundle.featureSet);
    const assigned = assignWithModel(model.bundle, model.handle, prepared);
    lap('assign');
    const version = model.row.version;
    const current = await this.repository.currentMemberships(prepared.customerIds);
    lap('current');
    const next = new Map<string, Membership>(assigned.map((a) => [a.customerId, { segmentId: a.segmentId, isInsider: a.isInsider, modelVersion: version }]));
    const changes = diffMemberships(current, next, { complete: false });
    const at = isoTime(feed.last);
    const now = Date.now();
    if (changes.length) {
      const segments = new Map(model.bundle.segments.map((s) => [s.id, { name: s.name, insiders: s.isInsiders }]));
      const events = buildSegmentChangeEvents(changes, { modelVersion: version, reason: 'incremental', at, emittedAt: new Date(now).toISOString(), segments });
      await this.publisher.publish(events);
      const history: HistoryRow[] = changes.map((c) => historyRow(c, { at, recordedAt: now, modelVersion: version, reason: 'incremental' }));
      lap('publish');
      await this.repository.writeHistory(history);
    }
    await this.repository.writeMemberships(
      assigned.map((a) => ({
        customer_id: a.customerId,
        segment_id: a.segmentId,
        is_insider: a.isInsider ? 1 : 0,
        model_version: version,
        confidence: a.confidence,
        map_x: a.mapX,
        map_y: a.mapY,
        reason: 'incremental',
        updated_at: chTime(now),
      })),
    );
    await this.cursor.advance(feed.last);
    lap('store');
    if (changes.length) this.logger.debug(`incremental: ${assigned.length} customers re-assigned, ${changes.length} changes, ${JSON.stringify(timings)}`);
    return { customers: assigned.length, changes: changes.length, cursor: feed.last, timings };
  }
}
