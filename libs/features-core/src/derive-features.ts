import { DAYS_OF_MONTH, WEEKDAYS, type CustomerFeatures } from './customer-features';

/** One customer's merged states, as read from storage (see readAggregatesSql). Days are days since 1970-01-01. */
export interface CustomerAggregate {
  customerId: string;
  synthetic: boolean;
  /** Purchase revenue in millionths of the currency unit (exact integer). */
  revenueMicros: number;
  purchaseLines: number;
  purchaseItems: number;
  returnLines: number;
  returnItems: number;
  basketProducts: number;
  invoices: number;
  uniqueProducts: number;
  firstDay: number;
  lastDay: number;
  referenceDay: number;
  /**
   * Purchase revenue by day, in millionths of the currency unit (exact integers), one entry per stored state row
   * (a day may appear more than once before background merges): days since 1970-01-01.
   */
  purchaseDays: number[];
  purchaseDayMicros: number[];
  /**
   * Purchase revenue by ISO weekday index (0 = Monday) and by day-of-month index (0 = day 1) as flat pairs
   * [index, micros, index, micros, ...] (exact integers), when the store keeps these running sums
   * (customer_states): then `purchaseDays` is not needed (and left empty).
   */
  weekdayRevenue?: number[];
  dayOfMonthRevenue?: number[];
  country: string;
}

const DAY_MS = 86_400_000;

const isoCache = new Map<number, string>();

/** `YYYY-MM-DD` of a day number (memoised: a data set has few distinct days, reads have up to millions of rows). */
export function dayToIso(day: number): string {
  let iso = isoCache.get(day);
  if (iso === undefined) {
    iso = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (isoCache.size < 100_000) isoCache.set(day, iso);
  }
  return iso;
}

/** Day of month (1..31) of a day number (days since 1970-01-01), by Howard Hinnant's civil_from_days. */
export function dayOfMonth(day: number): number {
  const cached = domCache.get(day);
  if (cached !== undefined) return cached;
  const dom = civilDayOfMonth(day);
  if (domCache.size < 100_000) domCache.set(day, dom);
  return dom;
}

const domCache = new Map<number, number>();

function civilDayOfMonth(day: number): number {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  return doy - Math.floor((153 * mp + 2) / 5) + 1;
}

/** ISO weekday index 0 = Monday .. 6 = Sunday (1970-01-01 was a Thursday). */
export function weekdayIndex(day: number): number {
  return (((day + 3) % 7) + 7) % 7;
}

function revenueShares(a: CustomerAggregate): { weekday: number[]; dayOfMonth: number[] } {
  // literals: the cheapest zero-filled arrays for V8 (a million customers allocate two each)
  const weekday = [0, 0, 0, 0, 0, 0, 0];
  const dom = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  let total = 0;
  if (a.weekdayRevenue && a.dayOfMonthRevenue) {
    for (let i = 0; i < a.weekdayRevenue.length; i += 2) {
      weekday[a.weekdayRevenue[i]] += a.weekdayRevenue[i + 1];
      total += a.weekdayRevenue[i + 1];
    }
    for (let i = 0; i < a.dayOfMonthRevenue.length; i += 2) dom[a.dayOfMonthRevenue[i]] += a.dayOfMonthRevenue[i + 1];
  } else {
    for (let i = 0; i < a.purchaseDays.length; i++) {
      const micros = a.purchaseDayMicros[i];
      total += micros;
      weekday[weekdayIndex(a.purchaseDays[i])] += micros;
      dom[dayOfMonth(a.purchaseDays[i]) - 1] += micros;
    }
  }
  // Integer sums are exact (and independent of row order); one division each.
  if (total !== 0) {
    for (let i = 0; i < WEEKDAYS; i++) weekday[i] /= total;
    for (let i = 0; i < DAYS_OF_MONTH; i++) dom[i] /= total;
  }
  return { weekday, dayOfMonth: dom };
}

/** Millionths → cents, rounding half away from zero (exact: integer arithmetic). */
export function centsOf(micros: number): number {
  const cents = Math.floor((Math.abs(micros) + 5_000) / 10_000);
  return micros < 0 ? -cents : cents;
}

/** The feature formulas (docs/features.md), from a customer's merged aggregates. Pure. */
export function deriveFeatures(a: CustomerAggregate): CustomerFeatures {
  const span = a.lastDay - a.firstDay;
  const invoices = a.invoices;
  const grossRevenue = centsOf(a.revenueMicros) / 100;
  const revenue = a.revenueMicros / 1e6;
  const shares = revenueShares(a);
  return {
    customerId: a.customerId,
    synthetic: a.synthetic,
    grossRevenue,
    recencyDays: a.referenceDay - a.lastDay,
    invoices,
    items: a.purchaseItems,
    products: a.purchaseLines,
    uniqueProducts: a.uniqueProducts,
    averageTicket: invoices > 0 ? revenue / invoices : 0,
    averageDaysBetweenPurchases: invoices > 1 ? span / (invoices - 1) : null,
    frequency: invoices / (span + 1),
    returns: a.returnItems,
    returnLines: a.returnLines,
    returnRate: a.purchaseItems > 0 ? a.returnItems / a.purchaseItems : 0,
    averageBasketSize: invoices > 0 ? a.purchaseItems / invoices : 0,
    averageUniqueBasketSize: invoices > 0 ? a.basketProducts / invoices : 0,
    revenueShareByWeekday: shares.weekday,
    revenueShareByDayOfMonth: shares.dayOfMonth,
    country: a.country,
    firstPurchaseDay: dayToIso(a.firstDay),
    lastPurchaseDay: dayToIso(a.lastDay),
  };
}
