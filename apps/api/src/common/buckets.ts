import { ValidationFailed } from './validation';

/**
 * Time buckets for series: calendar units (REST `bucket=day`) or a fixed number of seconds (Grafana's interval).
 * The SQL expression comes from a closed list (no user text reaches SQL); the JS side enumerates the same bucket
 * starts so series are dense (sizes carry forward, counts are zero-filled).
 */
export type Bucketing = { unit: 'hour' | 'day' | 'week' | 'month' } | { unit: 'seconds'; seconds: number };

const FIXED: Record<string, number> = { hour: 3_600_000, day: 86_400_000, week: 7 * 86_400_000 };

/** SQL: epoch milliseconds of the bucket start of `column`; `seconds` buckets bind `{bucket_seconds:UInt32}`. */
export function bucketSql(column: string, b: Bucketing): string {
  const inner = (() => {
    switch (b.unit) {
      case 'hour':
        return `toStartOfHour(${column})`;
      case 'day':
        return `toDateTime64(toStartOfDay(${column}), 3, 'UTC')`;
      case 'week':
        return `toDateTime64(toMonday(${column}), 3, 'UTC')`;
      case 'month':
        return `toDateTime64(toStartOfMonth(${column}), 3, 'UTC')`;
      case 'seconds':
        return `toStartOfInterval(${column}, INTERVAL {bucket_seconds:UInt32} SECOND)`;
    }
  })();
  return `toUnixTimestamp64Milli(toDateTime64(${inner}, 3, 'UTC'))`;
}

export function bucketParams(b: Bucketing): Record<string, number> {
  return b.unit === 'seconds' ? { bucket_seconds: b.seconds } : {};
}

/** The start of the bucket containing `ms`. */
export function bucketStart(ms: number, b: Bucketing): number {
  const d = new Date(ms);
  switch (b.unit) {
    case 'seconds':
      return Math.floor(ms / (b.seconds * 1000)) * b.seconds * 1000;
    case 'hour':
    case 'day':
      return Math.floor(ms / FIXED[b.unit]!) * FIXED[b.unit]!;
    case 'week': {
      const day = Math.floor(ms / FIXED.day!) * FIXED.day!;
      const weekday = (new Date(day).getUTCDay() + 6) % 7; // Monday = 0
      return day - weekday * FIXED.day!;
    }
    case 'month':
      return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
  }
}

function next(ms: number, b: Bucketing): number {
  if (b.unit === 'seconds') return ms + b.seconds * 1000;
  if (b.unit === 'month') {
    const d = new Date(ms);
    return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
  }
  return ms + FIXED[b.unit]!;
}

export const MAX_BUCKETS = 5_000;

/** Series have at most MAX_BUCKETS points: a longer request is a 400 naming `bucket`. */
export function assertBucketCount(from: number, to: number, b: Bucketing): void {
  const n = bucketStarts(from, to, b, MAX_BUCKETS + 1).length;
  if (n > MAX_BUCKETS) {
    throw new ValidationFailed([
      { field: 'bucket', message: `more than ${MAX_BUCKETS} buckets in the range; choose a larger bucket or a shorter range` },
    ]);
  }
}

/** Bucket starts covering [from, to), at most `max` of them (callers size buckets so this is not hit). */
export function bucketStarts(from: number, to: number, b: Bucketing, max = 100_000): number[] {
  const out: number[] = [];
  for (let t = bucketStart(from, b); t < to && out.length < max; t = next(t, b)) out.push(t);
  return out;
}

/** Seconds per bucket so that [from, to) has at most `maxPoints` buckets and buckets are >= `minMs`. */
export function secondsFor(from: number, to: number, intervalMs: number | undefined, maxPoints: number): number {
  const ms = Math.max(intervalMs ?? 0, Math.ceil((to - from) / Math.max(1, maxPoints)), 1_000);
  const nice = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1_800, 3_600, 7_200, 10_800, 21_600, 43_200, 86_400, 604_800];
  const seconds = Math.ceil(ms / 1000);
  return nice.find((n) => n >= seconds) ?? Math.ceil(seconds / 86_400) * 86_400;
}
