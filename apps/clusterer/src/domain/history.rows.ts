import type { MembershipChange } from '@insiders/segments';
import { chTime, type HistoryRow, type MembershipReason } from '@insiders/storage';

/** The `membership_history` row of one membership change (refit, incremental assignment or backfill). */
export function historyRow(
  change: MembershipChange,
  ctx: { at: string | number; recordedAt: number; modelVersion: number; reason: MembershipReason },
): HistoryRow {
  return {
    customer_id: change.customerId,
    at: chTime(ctx.at),
    recorded_at: chTime(ctx.recordedAt),
    from_segment: change.from?.segmentId ?? null,
    to_segment: change.to?.segmentId ?? null,
    from_insider: change.from?.isInsider ? 1 : 0,
    to_insider: change.to?.isInsider ? 1 : 0,
    model_version: ctx.modelVersion,
    reason: ctx.reason,
  };
}
