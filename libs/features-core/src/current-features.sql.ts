import type { CleaningPolicy } from './cleaning-policy';
import { policyStateKey } from './cleaning-policy';
import type { CustomerAggregate } from './derive-features';
import { RowBinaryReader } from './row-binary.reader';
import { LINE_MICROS, rowFilterSql, sqlString, sqlStringList } from './features.sql';

/**
 * "Features as of now" from customer_states (migration 0210): one running state row per (policy, customer key),
 * fed per consumer batch like customer_day_states, so a read merges one row per customer instead of one per
 * customer-day, and the weekday / day-of-month revenue arrive as 7 + 31 integer sums instead of per-day arrays.
 * The result travels as RowBinary (numbers as Float64: exact for these integers) decoded by hand: parsing 1M JSON
 * rows of ~55 values cost more than the aggregation itself.
 */

/** Sentinel first purchase day of a key without purchases (neutral for min; 65535 = the last Date). */
const NO_FIRST_DAY = 65535;

/**
 * SELECT producing customer_states rows (column order of the table) for the policy from invoice_lines, restricted
 * by `scope` (a boolean SQL expression over invoice_lines: one batch_seq, or '1' for a rebuild).
 */
export function customerStatesSelectSql(policy: CleaningPolicy, scope = '1'): string {
  // index → purchase millionths; returns contribute an empty map
  const purchaseBy = (part: string) => `sumMap(if(quantity > 0, [toUInt8(${part}(invoice_time) - 1)], []), if(quantity > 0, [micros], []))`;
  return `SELECT
  ${sqlString(policyStateKey(policy))} AS policy,
  customer_key,
  countIf(quantity > 0) AS purchase_lines,
  sumIf(quantity, quantity > 0) AS purchase_items,
  sumIf(micros, quantity > 0) AS purchase_micros,
  countIf(quantity < 0) AS return_lines,
  -sumIf(quantity, quantity < 0) AS return_items,
  -sumIf(micros, quantity < 0) AS return_micros,
  uniqExactStateIf(cityHash64(invoice_no), quantity > 0) AS invoices,
  uniqExactStateIf(cityHash64(stock_code), quantity > 0) AS products,
  uniqExactStateIf(cityHash64(invoice_no, stock_code), quantity > 0) AS basket_products,
  if(countIf(quantity > 0) = 0, ${NO_FIRST_DAY}, toUInt16(minIf(toDate(invoice_time), quantity > 0))) AS first_purchase_day,
  toUInt16(maxIf(toDate(invoice_time), quantity > 0)) AS last_purchase_day,
  ${purchaseBy('toDayOfWeek')} AS weekday_micros,
  ${purchaseBy('toDayOfMonth')} AS day_of_month_micros,
  max((invoice_time, source_line, toString(country))) AS last_line
FROM (SELECT *, ${LINE_MICROS} AS micros FROM invoice_lines WHERE (${scope}) AND (${rowFilterSql(policy)}))
GROUP BY customer_key`;
}

/**
 * Current per-customer aggregates of a maintained policy by customer key (customer rules applied: ≥ 1 purchase,
 * optionally no customer returning more than bought), as RowBinary in the column order `visitCurrentAggregates`
 * reads. The reference day is the policy's latest purchase day over all customers. Anonymous keys
 * (`invoice:<no>`) are returned as keys: the caller numbers them (synthetic ids), which needs no per-read window
 * over all anonymous invoices.
 *
 * All customers: FINAL merges each key's rows while reading (in sort order: no hash table over a million keys);
 * the customer rules are a WHERE evaluated after that merge (never moved to PREWHERE, which would filter unmerged
 * rows). Some customers (`customerKeys`): GROUP BY over the keys' rows, whose key filter runs as PREWHERE before
 * any aggregate state is read (FINAL would read and merge whole granules of every part).
 */
export function readCurrentSql(policy: CleaningPolicy, options: { customerKeys?: readonly string[] } = {}): string {
  const key = sqlString(policyStateKey(policy));
  const keys = options.customerKeys;
  // a column's merged value: merged by FINAL already, or merged here by GROUP BY
  const merged = (column: string, merge: string) => (keys ? `${merge}(${column})` : column);
  const count = (column: string) => (keys ? `uniqExactMerge(${column})` : `finalizeAggregation(${column})`);
  const rules = [`${merged('purchase_lines', 'sum')} > 0`];
  if (policy.dropCustomersReturningMoreThanBought) rules.push(`${merged('return_items', 'sum')} <= ${merged('purchase_items', 'sum')}`);
  const map = (column: string) => `${merged(column, 'sumMap')} AS ${column}_merged`;
  return `SELECT
  customer_key,
  toFloat64(${merged('purchase_micros', 'sum')}), toFloat64(${merged('purchase_lines', 'sum')}), toFloat64(${merged('purchase_items', 'sum')}),
  toFloat64(${merged('return_lines', 'sum')}), toFloat64(${merged('return_items', 'sum')}),
  toFloat64(${count('basket_products')}), toFloat64(${count('invoices')}), toFloat64(${count('products')}),
  toFloat64(${merged('first_purchase_day', 'min')}), toFloat64(${merged('last_purchase_day', 'max')}),
  toFloat64(ifNull((SELECT max(last_purchase_day) FROM customer_states WHERE policy = ${key}), 0)),
  tupleElement(${map('weekday_micros')}, 1), arrayMap(x -> toFloat64(x), tupleElement(weekday_micros_merged, 2)),
  tupleElement(${map('day_of_month_micros')}, 1), arrayMap(x -> toFloat64(x), tupleElement(day_of_month_micros_merged, 2)),
  tupleElement(${merged('last_line', 'max')}, 3)
${
  keys
    ? `FROM customer_states
WHERE policy = ${key} AND customer_key IN ${sqlStringList(keys)}
GROUP BY customer_key
HAVING ${rules.join(' AND ')}`
    : `FROM customer_states FINAL
WHERE policy = ${key} AND ${rules.join(' AND ')}
SETTINGS optimize_move_to_prewhere_if_final = 0`
}
FORMAT RowBinary`;
}

/**
 * Decodes the RowBinary result of `readCurrentSql` (column order above) row by row into `visit`, for
 * `deriveFeatures`: `customerId` is the customer key and `synthetic` tells anonymous keys (the caller maps them to
 * synthetic ids). The aggregate object and its arrays are REUSED for the next row (a million-row read would
 * otherwise allocate a million short-lived objects): `visit` must copy what it keeps (deriveFeatures does).
 */
export function visitCurrentAggregates(data: Uint8Array, visit: (a: CustomerAggregate) => void): void {
  const r = new RowBinaryReader(data);
  const a: CustomerAggregate = {
    customerId: '',
    synthetic: false,
    revenueMicros: 0,
    purchaseLines: 0,
    purchaseItems: 0,
    returnLines: 0,
    returnItems: 0,
    basketProducts: 0,
    invoices: 0,
    uniqueProducts: 0,
    firstDay: 0,
    lastDay: 0,
    referenceDay: 0,
    purchaseDays: [],
    purchaseDayMicros: [],
    weekdayRevenue: [],
    dayOfMonthRevenue: [],
    country: '',
  };
  while (!r.done) {
    a.customerId = r.string();
    a.synthetic = a.customerId.startsWith('invoice:');
    a.revenueMicros = r.float64();
    a.purchaseLines = r.float64();
    a.purchaseItems = r.float64();
    a.returnLines = r.float64();
    a.returnItems = r.float64();
    a.basketProducts = r.float64();
    a.invoices = r.float64();
    a.uniqueProducts = r.float64();
    a.firstDay = r.float64();
    a.lastDay = r.float64();
    a.referenceDay = r.float64();
    r.indexedFloat64Pairs(a.weekdayRevenue);
    r.indexedFloat64Pairs(a.dayOfMonthRevenue);
    a.country = r.string();
    visit(a);
  }
}
