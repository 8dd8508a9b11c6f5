/** Bounds beyond which a schema-valid invoice line is considered absurd and quarantined instead of counted. */
export interface QuarantineBounds {
  maxAbsQuantity: number;
  minUnitPrice: number;
  maxUnitPrice: number;
  /** Lines dated more than this after the consumer's clock are quarantined. */
  maxFutureMs: number;
  /** Lines dated before this instant (ms since epoch) are quarantined. */
  minEventTimeMs: number;
}

/**
 * Defaults: generous enough for the seed data (|quantity| up to 80,995, prices from -11,062.06 bad-debt adjustments
 * to 38,970), tight enough to stop unit mistakes (cents sent as units times 1000, epoch seconds as milliseconds).
 */
export const DEFAULT_QUARANTINE_BOUNDS: QuarantineBounds = {
  maxAbsQuantity: 1_000_000,
  minUnitPrice: -100_000,
  maxUnitPrice: 100_000,
  maxFutureMs: 24 * 3_600_000,
  minEventTimeMs: Date.UTC(2000, 0, 1),
};

export interface QuarantineCandidate {
  quantity: number;
  unitPrice: number;
  invoiceTime: string;
}

// Consecutive lines of an invoice share their time: remember the last parse (a consumer checks every line).
let lastTimeText = '';
let lastTimeMs = Number.NaN;

/**
 * Whether a line is within every bound — exactly when `quarantineReason` returns null. The consumer's fast path
 * checks numbers it already has (no event object); it asks `quarantineReason` for the words only when this fails.
 */
export function isWithinBounds(quantity: number, unitPrice: number, timeMs: number, bounds: QuarantineBounds, nowMs: number): boolean {
  return (
    Math.abs(quantity) <= bounds.maxAbsQuantity &&
    unitPrice <= bounds.maxUnitPrice &&
    unitPrice >= bounds.minUnitPrice &&
    timeMs <= nowMs + bounds.maxFutureMs &&
    timeMs >= bounds.minEventTimeMs
  );
}

/** Why a line is absurd, or null when it is fine. Pure: `nowMs` is the consumer's clock. */
export function quarantineReason(e: QuarantineCandidate, bounds: QuarantineBounds, nowMs: number): string | null {
  if (Math.abs(e.quantity) > bounds.maxAbsQuantity) return `quantity ${e.quantity} beyond ±${bounds.maxAbsQuantity}`;
  if (e.unitPrice > bounds.maxUnitPrice) return `unitPrice ${e.unitPrice} above ${bounds.maxUnitPrice}`;
  if (e.unitPrice < bounds.minUnitPrice) return `unitPrice ${e.unitPrice} below ${bounds.minUnitPrice}`;
  if (e.invoiceTime !== lastTimeText) {
    lastTimeText = e.invoiceTime;
    lastTimeMs = Date.parse(e.invoiceTime);
  }
  const t = lastTimeMs;
  if (t > nowMs + bounds.maxFutureMs) return `invoiceTime ${e.invoiceTime} is more than ${Math.round(bounds.maxFutureMs / 3_600_000)} h in the future`;
  if (t < bounds.minEventTimeMs) return `invoiceTime ${e.invoiceTime} is before ${new Date(bounds.minEventTimeMs).toISOString()}`;
  return null;
}
