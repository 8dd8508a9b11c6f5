import { SEGMENT_CHANGE_V1, type SegmentChangeEvent, type SegmentChangeReason, type SegmentRef } from '@insiders/events';

/** A customer's membership as the change logic sees it. */
export interface Membership {
  segmentId: number;
  isInsider: boolean;
  modelVersion: number;
}

export interface MembershipChange {
  customerId: string;
  from: Membership | null;
  to: Membership | null;
}

/**
 * The membership differences between two states. A customer appears when their segment or Insider flag differs
 * (a new model version alone is not a change). With `complete` (a refit: `next` holds every customer), customers in
 * `previous` but absent from `next` exit; otherwise (`next` holds only re-assigned customers) they are untouched.
 * Output is sorted by customer id.
 */
export function diffMemberships(
  previous: ReadonlyMap<string, Membership>,
  next: ReadonlyMap<string, Membership>,
  options: { complete: boolean },
): MembershipChange[] {
  const out: MembershipChange[] = [];
  for (const [customerId, to] of next) {
    const from = previous.get(customerId) ?? null;
    if (from && from.segmentId === to.segmentId && from.isInsider === to.isInsider) continue;
    out.push({ customerId, from, to });
  }
  if (options.complete) {
    for (const [customerId, from] of previous) if (!next.has(customerId)) out.push({ customerId, from, to: null });
  }
  return out.sort((a, b) => (a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0));
}

export interface ChangeContext {
  modelVersion: number;
  reason: SegmentChangeReason;
  /** Business time, ISO-8601. */
  at: string;
  emittedAt: string;
  /** Segment names and Insiders flags by id, across the previous and the current model. */
  segments: ReadonlyMap<number, { name: string; insiders: boolean }>;
}

export function buildSegmentChangeEvents(changes: readonly MembershipChange[], ctx: ChangeContext): SegmentChangeEvent[] {
  const ref = (m: Membership | null): SegmentRef | null => {
    if (!m) return null;
    const s = ctx.segments.get(m.segmentId);
    return { id: m.segmentId, name: s?.name ?? `Segment ${m.segmentId}`, insiders: s?.insiders ?? false };
  };
  return changes.map((c) => {
    const fromInsider = c.from?.isInsider ?? false;
    const toInsider = c.to?.isInsider ?? false;
    return {
      schema: SEGMENT_CHANGE_V1,
      eventId: `${ctx.reason}:${ctx.modelVersion}:${c.customerId}:${ctx.at}`,
      customerId: c.customerId,
      type: c.from === null ? 'entered' : c.to === null ? 'exited' : 'moved',
      from: ref(c.from),
      to: ref(c.to),
      fromInsider,
      toInsider,
      insider: fromInsider === toInsider ? 'unchanged' : toInsider ? 'entered' : 'exited',
      modelVersion: ctx.modelVersion,
      previousModelVersion: c.from?.modelVersion ?? null,
      at: ctx.at,
      emittedAt: ctx.emittedAt,
      reason: ctx.reason,
    };
  });
}
