import type { CleaningPolicy } from './cleaning-policy';
import { policyStateKey } from './cleaning-policy';

/**
 * SQL for the feature states and reads. Pure string builders (no client): the repository in apps/features runs them.
 * Tables: invoice_lines (raw), customer_day_states (states), customer_activity (first seen / last changed).
 */

/** A ClickHouse string literal. */
export function sqlString(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export function sqlStringList(values: readonly string[]): string {
  return values.length === 0 ? `CAST([] AS Array(String))` : `(${values.map(sqlString).join(',')})`;
}

/** `YYYY-MM-DD` of a Date or a date/date-time string (UTC). Throws on anything else. */
export function toDay(asOf: Date | string): string {
  const d = asOf instanceof Date ? asOf : new Date(/^\d{4}-\d{2}-\d{2}$/.test(asOf) ? `${asOf}T00:00:00Z` : asOf);
  if (Number.isNaN(d.getTime())) throw new Error(`invalid asOf "${String(asOf)}"`);
  return d.toISOString().slice(0, 10);
}

/** The policy's row rules as a boolean expression over invoice_lines columns. */
export function rowFilterSql(policy: CleaningPolicy): string {
  const parts: string[] = [];
  if (policy.excludedStockCodes.length) parts.push(`stock_code NOT IN ${sqlStringList(policy.excludedStockCodes)}`);
  for (const prefix of policy.excludedStockCodePrefixes) parts.push(`NOT startsWith(stock_code, ${sqlString(prefix)})`);
  if (policy.minUnitPrice !== null) parts.push(`unit_price >= ${Number(policy.minUnitPrice)}`);
  if (policy.excludedCountries.length) parts.push(`country NOT IN ${sqlStringList(policy.excludedCountries)}`);
  if (policy.excludedCustomers.length) {
    parts.push(`(customer_id IS NULL OR customer_id NOT IN ${sqlStringList(policy.excludedCustomers)})`);
  }
  if (policy.missingCustomers === 'drop') parts.push('customer_id IS NOT NULL');
  return parts.length ? parts.join(' AND ') : '1';
}

/**
 * Exact line value in millionths of the currency unit: quantity x the price's shortest decimal text (not its binary
 * value) with 6 decimals, as an integer.
 */
export const LINE_MICROS = 'toInt64(toDecimal128(quantity, 0) * toDecimal128(toString(unit_price), 6) * 1000000)';

/**
 * SELECT producing customer_day_states rows (column order of the table) for the policy from invoice_lines,
 * restricted by `scope`: a boolean SQL expression over invoice_lines (one batch_seq, a day bound, or '1').
 */
export function dayStatesSelectSql(policy: CleaningPolicy, scope = '1'): string {
  return `SELECT
  ${sqlString(policyStateKey(policy))} AS policy,
  customer_key,
  toDate(invoice_time) AS day,
  countIf(quantity > 0) AS purchase_lines,
  sumIf(quantity, quantity > 0) AS purchase_items,
  sumIf(${LINE_MICROS}, quantity > 0) AS purchase_micros,
  countIf(quantity < 0) AS return_lines,
  -sumIf(quantity, quantity < 0) AS return_items,
  -sumIf(${LINE_MICROS}, quantity < 0) AS return_micros,
  uniqExactStateIf(cityHash64(invoice_no), quantity > 0) AS invoices,
  uniqExactStateIf(cityHash64(stock_code), quantity > 0) AS products,
  uniqExactStateIf(cityHash64(invoice_no, stock_code), quantity > 0) AS basket_products,
  max((invoice_time, source_line, toString(country))) AS last_line
FROM (SELECT * FROM invoice_lines WHERE (${scope}) AND (${rowFilterSql(policy)}))
GROUP BY customer_key, day`;
}

/** States of the rows one consumer batch inserted. */
export function batchScopeSql(batchSeq: bigint | number | string): string {
  const seq = String(batchSeq);
  if (!/^\d+$/.test(seq)) throw new Error(`invalid batch_seq ${seq}`);
  return `batch_seq = ${seq}`;
}

export interface ReadFeaturesSqlOptions {
  /** Inclusive last day (YYYY-MM-DD). */
  asOfDay?: string;
  customerIds?: readonly string[];
  /** 'states': merge stored states (policy maintained); 'raw': compute states from invoice_lines on the fly. */
  source: 'states' | 'raw';
}

/**
 * Anonymous customer keys (`invoice:<no>`, the only ones flagged anonymous) with their first appearance. Only a
 * primary-key range of customer_activity is read, so the cost follows the number of anonymous invoices, not of
 * all customers.
 */
const ANONYMOUS_FIRST_SEEN = `SELECT customer_key, min(first_seen) AS fs FROM customer_activity
        WHERE startsWith(customer_key, 'invoice:') AND anonymous = 1 GROUP BY customer_key`;

/** Synthetic customer ids: invoices without customer id ranked by first appearance over all their lines. */
export function syntheticIdsSql(policy: CleaningPolicy): string {
  return `SELECT customer_key, toString(${Math.trunc(policy.syntheticCustomerIdBase)} + row_number() OVER (ORDER BY fs, customer_key) - 1) AS synthetic_id
  FROM (${ANONYMOUS_FIRST_SEEN})`;
}

/** Anonymous keys in synthetic-id order (the n-th key is `syntheticCustomerIdBase + n` under every policy). */
export function anonymousKeysInOrderSql(): string {
  return `SELECT customer_key FROM (${ANONYMOUS_FIRST_SEEN}) ORDER BY fs, customer_key`;
}

/**
 * Changes whenever the synthetic numbering may have changed (an anonymous key appeared or its first appearance
 * moved): the row count and a hash sum over the anonymous range of customer_activity. Background merges change it
 * too (a harmless recomputation). Rows written by markChanged carry no first appearance and are left out.
 */
export function anonymousNumberingVersionSql(): string {
  return `SELECT concat(toString(count()), ':', toString(sum(cityHash64(customer_key, first_seen)))) FROM customer_activity
  WHERE startsWith(customer_key, 'invoice:') AND anonymous = 1 AND tupleElement(first_seen, 1) < toDateTime64('2299-01-01 00:00:00', 3, 'UTC')`;
}

/**
 * Per-customer aggregates (one row per customer kept by the policy), columns as FeaturesRepository.readAggregates maps them.
 * The derived features (ratios) are computed from these by `deriveFeatures`.
 */
export function readAggregatesSql(policy: CleaningPolicy, options: ReadFeaturesSqlOptions): string {
  const dayBound = options.asOfDay ? `day <= toDate(${sqlString(options.asOfDay)})` : '1';
  const synthesize = policy.missingCustomers === 'synthesize';
  const ids = options.customerIds;
  const customerScope = ids
    ? synthesize
      ? `(customer_key IN ${sqlStringList(ids)} OR customer_key IN (SELECT customer_key FROM synthetic WHERE synthetic_id IN ${sqlStringList(ids)}))`
      : `customer_key IN ${sqlStringList(ids)}`
    : '1';
  const days =
    options.source === 'states'
      ? `SELECT * FROM customer_day_states WHERE policy = ${sqlString(policyStateKey(policy))} AND ${dayBound}`
      : dayStatesSelectSql(policy, options.asOfDay ? `toDate(invoice_time) <= toDate(${sqlString(options.asOfDay)})` : '1');
  const referenceSource =
    options.source === 'states'
      ? `SELECT max(day) FROM customer_day_states WHERE policy = ${sqlString(policyStateKey(policy))} AND ${dayBound} AND purchase_lines > 0`
      : `SELECT max(day) FROM (${days}) WHERE purchase_lines > 0`;
  const having = ['c_purchase_lines > 0'];
  if (policy.dropCustomersReturningMoreThanBought) having.push('c_return_items <= c_purchase_items');
  return `WITH
  synthetic AS (${synthesize ? syntheticIdsSql(policy) : `SELECT '' AS customer_key, '' AS synthetic_id WHERE 0`}),
  per AS (
    SELECT
      customer_key,
      toInt64(sum(purchase_micros)) AS revenue_micros,
      toInt64(sum(purchase_lines)) AS c_purchase_lines,
      toInt64(sum(purchase_items)) AS c_purchase_items,
      toInt64(sum(return_lines)) AS c_return_lines,
      toInt64(sum(return_items)) AS c_return_items,
      toInt64(uniqExactMerge(basket_products)) AS c_basket_products,
      toInt64(uniqExactMerge(invoices)) AS invoice_count,
      toInt64(uniqExactMerge(products)) AS unique_products,
      toInt32(minIf(day, purchase_lines > 0)) AS first_day,
      toInt32(maxIf(day, purchase_lines > 0)) AS last_day,
      groupArrayIf(toUInt16(day), purchase_lines > 0) AS purchase_days,
      groupArrayIf(purchase_micros, purchase_lines > 0) AS purchase_day_micros,
      tupleElement(max(last_line), 3) AS c_last_country
    FROM (${days})
    WHERE ${customerScope}
    GROUP BY customer_key
    HAVING ${having.join(' AND ')}
  )
SELECT
  ${synthesize ? `if(startsWith(per.customer_key, 'invoice:'), synthetic.synthetic_id, per.customer_key)` : 'per.customer_key'} AS customer_id,
  toUInt8(startsWith(per.customer_key, 'invoice:')) AS synthetic,
  revenue_micros, c_purchase_lines, c_purchase_items, c_return_lines, c_return_items, c_basket_products,
  invoice_count, unique_products, first_day, last_day,
  toInt32((${referenceSource})) AS reference_day,
  purchase_days, purchase_day_micros,
  c_last_country
FROM per ${synthesize ? 'LEFT JOIN synthetic ON per.customer_key = synthetic.customer_key' : ''}
${ids && synthesize ? `WHERE customer_id IN ${sqlStringList(ids)}` : ''}`;
}
