/**
 * The segment-change event, version 1: a customer entered, exited or moved between segments.
 * Published by the clusterer to `<prefix>.segment-changes.v1` (see `topicsFor(prefix).segmentChanges`), keyed by
 * customer id, JSON-encoded. One event per membership difference: a refit publishes exactly the customers whose
 * segment or Insider flag changed; between refits, incremental assignment publishes the customers it moved.
 *
 * Delivery is at-least-once: `eventId` is deterministic (`<reason>:<modelVersion>:<customerId>:<at>`), so a consumer
 * drops an id it has already processed.
 *
 * Example:
 * {"schema":"segment-change/v1","eventId":"refit:3:12347:2017-12-07T00:00:00.000Z","customerId":"12347",
 *  "type":"moved","from":{"id":4,"name":"Engaged","insiders":false},"to":{"id":1,"name":"Elite Spenders","insiders":true},
 *  "fromInsider":false,"toInsider":true,"insider":"entered","modelVersion":3,"previousModelVersion":2,
 *  "at":"2017-12-07T00:00:00.000Z","emittedAt":"2026-11-23T18:40:00.000Z","reason":"refit"}
 */
export const SEGMENT_CHANGE_V1 = 'segment-change/v1' as const;

/** entered: had no segment before; exited: has none now; moved: segment (or Insider flag) changed. */
export type SegmentChangeType = 'entered' | 'exited' | 'moved';
/** refit: a new model was activated; incremental: the customer's features changed; backfill: history for a past date. */
export type SegmentChangeReason = 'refit' | 'incremental' | 'backfill';

export interface SegmentRef {
  /** Stable segment id (survives refits). */
  id: number;
  /** Business name, e.g. "Elite Spenders". */
  name: string;
  /** Whether this segment is (one of) the Insiders segment(s) of its model. */
  insiders: boolean;
}

export interface SegmentChangeEvent {
  schema: typeof SEGMENT_CHANGE_V1;
  eventId: string;
  customerId: string;
  type: SegmentChangeType;
  from: SegmentRef | null;
  to: SegmentRef | null;
  /** Insider before / after (segment is Insiders and the customer passes the eligibility guards). */
  fromInsider: boolean;
  toInsider: boolean;
  /** Convenience for loyalty consumers: entered / exited the Insiders program, or unchanged. */
  insider: 'entered' | 'exited' | 'unchanged';
  /** Model that produced the new assignment. */
  modelVersion: number;
  /** Model of the previous assignment (null for a first assignment). */
  previousModelVersion: number | null;
  /** Business time: latest event time of the data (refit/incremental) or the as-of date (backfill), ISO-8601 UTC. */
  at: string;
  /** Wall-clock time the clusterer emitted it, ISO-8601 UTC. */
  emittedAt: string;
  reason: SegmentChangeReason;
}

export function segmentChangeKey(e: Pick<SegmentChangeEvent, 'customerId'>): string {
  return e.customerId;
}

/** Validates a decoded JSON value into a SegmentChangeEvent, naming the first offending field. */
export function parseSegmentChangeEvent(value: unknown): SegmentChangeEvent {
  const fail = (field: string): never => {
    throw new Error(`invalid segment-change event: ${field}`);
  };
  if (typeof value !== 'object' || value === null) fail('not an object');
  const e = value as Record<string, unknown>;
  if (e.schema !== SEGMENT_CHANGE_V1) fail('schema');
  for (const f of ['eventId', 'customerId', 'at', 'emittedAt'] as const) if (typeof e[f] !== 'string' || !e[f]) fail(f);
  if (!['entered', 'exited', 'moved'].includes(e.type as string)) fail('type');
  if (!['refit', 'incremental', 'backfill'].includes(e.reason as string)) fail('reason');
  if (!['entered', 'exited', 'unchanged'].includes(e.insider as string)) fail('insider');
  for (const f of ['fromInsider', 'toInsider'] as const) if (typeof e[f] !== 'boolean') fail(f);
  if (!Number.isInteger(e.modelVersion)) fail('modelVersion');
  if (e.previousModelVersion !== null && !Number.isInteger(e.previousModelVersion)) fail('previousModelVersion');
  for (const f of ['from', 'to'] as const) {
    const r = e[f];
    if (r === null) continue;
    const ref = r as Record<string, unknown>;
    if (typeof r !== 'object' || !Number.isInteger(ref.id) || typeof ref.name !== 'string' || typeof ref.insiders !== 'boolean') fail(f);
  }
  if (e.type === 'entered' && e.from !== null) fail('from (must be null for entered)');
  if (e.type === 'exited' && e.to !== null) fail('to (must be null for exited)');
  return e as unknown as SegmentChangeEvent;
}
