import { Injectable, Logger } from '@nestjs/common';
import { buildSegmentChangeEvents, diffMemberships, type Membership } from '@insiders/segments';
import { chTime } from '@insiders/storage';
import { ClustererRepository, type HistoryRow, type MembershipRow } from '../clusterer.repository';
import { SegmentChangePublisher } from '../segment-change.publisher';
import { historyRow } from '../domain/history.rows';

export const APPLIED_VERSION_KEY = 'applied_model_version';

/**
 * Makes an activated model's staged assignments current: publishes exactly the membership differences as
 * segment-change events, appends them to the history and rewrites memberships; then records the version as
 * applied. Idempotent: differences are computed against the current memberships, so re-running after a crash only
 * finishes what is left (events may repeat: at-least-once, deterministic event ids).
 */
@Injectable()
export class ApplyModelUseCase {
  private readonly logger = new Logger(ApplyModelUseCase.name);

  constructor(
    private readonly repository: ClustererRepository,
    private readonly publisher: SegmentChangePublisher,
  ) {}

  async execute(version: number, at: string): Promise<{ changes: number; customers: number }> {
    const staged = await this.repository.stagedMemberships(version);
    const current = await this.repository.currentMemberships();
    const next = new Map<string, Membership>(staged.map((s) => [s.customer_id, { segmentId: s.segment_id, isInsider: s.is_insider === 1, modelVersion: version }]));
    const changes = diffMemberships(current, next, { complete: true });

    const names = new Map<number, { name: string; insiders: boolean }>();
    const versions = new Set<number>([version, ...[...current.values()].map((m) => m.modelVersion)]);
    for (const v of versions) for (const s of await this.repository.segments(v)) if (v === version || !names.has(s.segment_id)) names.set(s.segment_id, { name: s.name, insiders: s.is_insiders === 1 });
    // the new model's names win over older names of the same id
    for (const s of await this.repository.segments(version)) names.set(s.segment_id, { name: s.name, insiders: s.is_insiders === 1 });

    const now = Date.now();
    const events = buildSegmentChangeEvents(changes, { modelVersion: version, reason: 'refit', at, emittedAt: new Date(now).toISOString(), segments: names });
    await this.publisher.publish(events);

    const already = await this.repository.historyCustomers(version, 'refit');
    const history: HistoryRow[] = changes
      .filter((c) => !already.has(c.customerId))
      .map((c) => historyRow(c, { at, recordedAt: now, modelVersion: version, reason: 'refit' }));
    await this.repository.writeHistory(history);

    const rows: MembershipRow[] = staged.map((s) => ({ ...s, model_version: version, reason: 'refit', updated_at: chTime(now) }));
    await this.repository.writeMemberships(rows);
    await this.repository.deleteMemberships(changes.filter((c) => c.to === null).map((c) => c.customerId));
    await this.repository.setState(APPLIED_VERSION_KEY, String(version));
    await this.repository.pruneStaging(version);
    this.logger.log(`model ${version} applied: ${staged.length} customers, ${changes.length} membership changes published`);
    return { changes: changes.length, customers: staged.length };
  }
}
