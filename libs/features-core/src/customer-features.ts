/**
 * Per-customer features, defined once (formulas in docs/features.md). All quantities are computed over the lines a
 * cleaning policy keeps, up to and including the "as of" day. Purchases are lines with quantity > 0, returns lines
 * with quantity < 0.
 */
export interface CustomerFeatures {
  /** Customer id, or the synthetic id of an invoice without one (policy `missingCustomers: 'synthesize'`). */
  customerId: string;
  /** True for synthetic customers. */
  synthetic: boolean;
  /** sum(quantity * unit_price) over purchases, rounded to the cent (exact decimal arithmetic). */
  grossRevenue: number;
  /** reference day - day of last purchase; reference = latest purchase day over all customers of the policy. */
  recencyDays: number;
  /** Distinct purchase invoices. */
  invoices: number;
  /** sum(quantity) over purchases. */
  items: number;
  /** Number of purchase lines. */
  products: number;
  /** Distinct stock codes purchased. */
  uniqueProducts: number;
  /** grossRevenue / invoices. */
  averageTicket: number;
  /** (last purchase day - first purchase day) / (invoices - 1); null with a single invoice. */
  averageDaysBetweenPurchases: number | null;
  /** invoices / (last purchase day - first purchase day + 1). */
  frequency: number;
  /** Returned items: -sum(quantity) over returns. */
  returns: number;
  /** Return lines. */
  returnLines: number;
  /** returns / items. */
  returnRate: number;
  /** items / invoices. */
  averageBasketSize: number;
  /** Distinct (invoice, stock code) purchase pairs / invoices. */
  averageUniqueBasketSize: number;
  /** Share of gross revenue by ISO weekday, index 0 = Monday .. 6 = Sunday (UTC days); zeros if no revenue. */
  revenueShareByWeekday: number[];
  /** Share of gross revenue by day of month, index 0 = day 1 .. 30 = day 31; zeros if no revenue. */
  revenueShareByDayOfMonth: number[];
  /** Country of the customer's most recent kept line. */
  country: string;
  /** First and last purchase day (YYYY-MM-DD, UTC). */
  firstPurchaseDay: string;
  lastPurchaseDay: string;
}

/** Numeric features in a fixed order: the vector the clusterer can use (weekday and day-of-month shares expanded). */
export const SCALAR_FEATURES = [
  'grossRevenue',
  'recencyDays',
  'invoices',
  'items',
  'products',
  'uniqueProducts',
  'averageTicket',
  'frequency',
  'returns',
  'returnRate',
  'averageBasketSize',
  'averageUniqueBasketSize',
] as const satisfies readonly (keyof CustomerFeatures)[];

export const WEEKDAYS = 7;
export const DAYS_OF_MONTH = 31;

/** The seed project's five features, in the golden fixture's column order. */
export const SEED_FEATURES = ['grossRevenue', 'recencyDays', 'products', 'frequency', 'returns'] as const satisfies readonly (keyof CustomerFeatures)[];

export interface ReadFeaturesQuery {
  /** Features as of the end of this day (UTC); default: everything stored. */
  asOf?: Date | string;
  /** Policy name (a preset or a configured custom policy); default: the service's FEATURE_POLICY. */
  policy?: string;
  /** Restrict to these customer ids (synthetic ids allowed); recency still uses the global reference day. */
  customerIds?: readonly string[];
}

/** A feature vector: SCALAR_FEATURES then 7 weekday shares then 31 day-of-month shares. */
export function featureVector(f: CustomerFeatures): number[] {
  return [...SCALAR_FEATURES.map((k) => f[k]), ...f.revenueShareByWeekday, ...f.revenueShareByDayOfMonth];
}
