import { Inject, Injectable, Logger } from '@nestjs/common';
import { policyPreset, toDay } from '@insiders/features-core';
import { diffMemberships, type Membership } from '@insiders/segments';
import { ClustererRepository, type HistoryRow } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { assignWithModel } from '../domain/assign';
import { prepareFeatures } from '../model/feature-matrix';
import { ActiveModelCache } from '../model/active-model.cache';
import { historyRow } from '../domain/history.rows';

export interface BackfillCommand {
  /** First and last as-of day (YYYY-MM-DD, inclusive). */
  from: string;
  to: string;
  /** Days between snapshots (default 7). */
  stepDays?: number;
}

export interface BackfillResult {
  modelVersion: number;
  snapshots: number;
  changes: number;
}

/**
 * Membership history for past dates: for each as-of day, every customer's features as of that day (from the raw
 * events, through the features SQL) are assigned with the active model, and the differences from the previous
 * snapshot are stored with reason `backfill` at that day. Re-running replaces the backfilled rows of the range.
 * Memberships and the bus are not touched (history only).
 */
@Injectable()
export class BackfillHistoryUseCase {
  private readonly logger = new Logger(BackfillHistoryUseCase.name);

  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
  ) {}

  async execute(command: BackfillCommand): Promise<BackfillResult> {
    const model = await this.cache.get();
    if (!model) throw new Error('backfill needs an active model: run a refit first');
    const from = toDay(command.from);
    const to = toDay(command.to);
    if (from > to) throw new Error(`backfill: from ${from} is after to ${to}`);
    const step = command.stepDays ?? 7;
    if (!Number.isInteger(step) || step < 1) throw new Error('backfill: stepDays must be a positive integer');
    const policy = policyPreset(this.config.FEATURE_POLICY);
    await this.repository.deleteBackfill(from, to);
    let state = new Map<string, Membership>();
    let snapshots = 0;
    let total = 0;
    const version = model.row.version;
    for (let day = from; day <= to; day = addDays(day, step)) {
      const features = await this.repository.readFeatures(policy, { asOfDay: day });
      const prepared = prepareFeatures(features, model.bundle.featureSet);
      const assigned = assignWithModel(model.bundle, model.handle, prepared);
      const next = new Map<string, Membership>(assigned.map((a) => [a.customerId, { segmentId: a.segmentId, isInsider: a.isInsider, modelVersion: version }]));
      const changes = diffMemberships(state, next, { complete: true });
      const now = Date.now();
      const rows: HistoryRow[] = changes.map((c) => historyRow(c, { at: `${day}T00:00:00Z`, recordedAt: now, modelVersion: version, reason: 'backfill' }));
      await this.repository.writeHistory(rows);
      state = next;
      snapshots++;
      total += changes.length;
      this.logger.log(`backfill ${day}: ${assigned.length} customers, ${changes.length} changes`);
    }
    await this.connectToLaterHistory(to, state);
    return { modelVersion: version, snapshots, changes: total };
  }

  /**
   * History is a chain of transitions per customer (segment sizes over time are its running sums). A customer's
   * first assignment after the range (by a refit or incremental assignment, "from no segment") must start where the
   * backfill left them: it is rewritten to come from the backfilled segment, or dropped when nothing changed.
   */
  private async connectToLaterHistory(to: string, backfilled: Map<string, Membership>): Promise<void> {
    const firsts = await this.repository.firstAssignmentsAfter(to);
    const removed: HistoryRow[] = [];
    const added: HistoryRow[] = [];
    for (const row of firsts) {
      const last = backfilled.get(row.customer_id);
      if (!last) continue;
      removed.push(row);
      if (last.segmentId === row.to_segment && last.isInsider === (row.to_insider === 1)) continue;
      added.push({ ...row, from_segment: last.segmentId, from_insider: last.isInsider ? 1 : 0 });
    }
    if (removed.length) await this.repository.replaceHistory(removed, added);
    this.logger.log(`backfill: ${removed.length} later first assignments connected (${added.length} kept as moves)`);
  }
}

function addDays(day: string, n: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
}
