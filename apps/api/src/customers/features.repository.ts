import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  deriveFeatures,
  policyPreset,
  policyStateKey,
  readAggregatesSql,
  sqlString,
  type CleaningPolicy,
  type CustomerAggregate,
  type CustomerFeatures,
} from '@insiders/features-core';
import { CLICKHOUSE } from '@insiders/storage';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { bucketParams, bucketSql, type Bucketing } from '../common/buckets';
import { msParam, selectRows } from '../common/clickhouse.helpers';

/**
 * The features service's per-customer aggregates SQL (`readAggregatesSql` from @insiders/features-core: the one
 * definition of the formulas) with its customer scope turned into a bound parameter or a subquery. The builder
 * inlines customer ids as escaped literals; we pass a sentinel id and replace its literal, so no request value is
 * ever spliced into SQL here.
 */
const SENTINEL = '__insiders_api_scope__';

/** Segment id of revenue not attributed to any segment (customers in no segment at the time / now). */
export const NOT_SEGMENTED = -1;

/** Which segment a day's revenue counts for: the customer's segment on that day, or their segment now. */
export type RevenueAttribution = 'at-time' | 'current';

export function scopedAggregatesSql(policy: CleaningPolicy, scope: string): string {
  const sql = readAggregatesSql(policy, { source: 'states', customerIds: [SENTINEL] });
  const literal = sqlString(SENTINEL);
  if (!sql.includes(literal)) throw new Error('features-core readAggregatesSql no longer scopes by customer id list');
  return sql.split(`(${literal})`).join(`(${scope})`);
}

/** Subquery scopes (fixed SQL, no user input). */
export const SCOPE = {
  oneCustomer: '{customer_id:String}',
  insiders: 'SELECT customer_id FROM memberships FINAL WHERE is_insider = 1',
} as const;

type Kind = 'string' | 'bool' | 'number' | 'numbers';

/**
 * Aggregate columns of readAggregatesSql by name → CustomerAggregate field. Names of the features service's
 * layouts (decimal revenue + sparse weekday/day-of-month maps, or integer micros + per-day arrays) are both known:
 * the row is mapped by name, so either layout feeds `deriveFeatures`. An unknown column is an error naming it.
 */
const AGGREGATE_FIELDS: Record<string, [string, Kind]> = {
  customer_id: ['customerId', 'string'],
  synthetic: ['synthetic', 'bool'],
  gross_revenue: ['grossRevenue', 'string'],
  revenue_float: ['revenue', 'number'],
  revenue_micros: ['revenueMicros', 'number'],
  c_purchase_lines: ['purchaseLines', 'number'],
  purchase_lines: ['purchaseLines', 'number'],
  c_purchase_items: ['purchaseItems', 'number'],
  purchase_items: ['purchaseItems', 'number'],
  c_return_lines: ['returnLines', 'number'],
  return_lines: ['returnLines', 'number'],
  c_return_items: ['returnItems', 'number'],
  return_items: ['returnItems', 'number'],
  c_basket_products: ['basketProducts', 'number'],
  basket_products: ['basketProducts', 'number'],
  invoice_count: ['invoices', 'number'],
  unique_products: ['uniqueProducts', 'number'],
  first_day: ['firstDay', 'number'],
  last_day: ['lastDay', 'number'],
  reference_day: ['referenceDay', 'number'],
  weekday_keys: ['weekdayKeys', 'numbers'],
  weekday_values: ['weekdayValues', 'numbers'],
  dom_keys: ['dayOfMonthKeys', 'numbers'],
  dom_values: ['dayOfMonthValues', 'numbers'],
  purchase_days: ['purchaseDays', 'numbers'],
  purchase_day_micros: ['purchaseDayMicros', 'numbers'],
  c_last_country: ['country', 'string'],
  last_country: ['country', 'string'],
};

export function aggregateFromRow(row: Record<string, unknown>): CustomerAggregate {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const field = AGGREGATE_FIELDS[column];
    if (!field) throw new Error(`features-core aggregates: unknown column "${column}" (update AGGREGATE_FIELDS)`);
    const [name, kind] = field;
    out[name] =
      kind === 'string' ? String(value ?? '') : kind === 'bool' ? Number(value) === 1 : kind === 'number' ? Number(value) : (value as unknown[]).map(Number);
  }
  return out as unknown as CustomerAggregate;
}

/**
 * Canonical columns the API's SQL uses (Insiders list, population), each from the first column the aggregates
 * have among the candidates.
 */
const CANONICAL: Record<string, string[]> = {
  customer_id: ['customer_id'],
  revenue: ['revenue_float', 'toFloat64(revenue_micros) / 1000000'],
  purchase_lines: ['c_purchase_lines', 'purchase_lines'],
  purchase_items: ['c_purchase_items', 'purchase_items'],
  return_items: ['c_return_items', 'return_items'],
  invoice_count: ['invoice_count'],
  first_day: ['first_day'],
  last_day: ['last_day'],
  reference_day: ['reference_day'],
  last_country: ['c_last_country', 'last_country'],
};

export function canonicalColumnsSql(inner: string, columns: readonly string[]): string {
  const have = new Set(columns);
  const select = Object.entries(CANONICAL).map(([name, candidates]) => {
    const expr = candidates.find((c) => have.has(c.match(/^(?:toFloat64\()?(\w+)/)![1]!));
    if (!expr) throw new Error(`features-core aggregates: no column for ${name} (have ${columns.join(', ')})`);
    return `${expr} AS ${name}`;
  });
  return `SELECT ${select.join(', ')} FROM (${inner})`;
}

/** Population mean and standard deviation of the facts explanations compare against. */
export interface PopulationStats {
  customers: number;
  mean: Record<string, number>;
  std: Record<string, number>;
}

/** Derived facts over the canonical columns (same formulas as deriveFeatures). */
const FACT_SQL: Record<string, string> = {
  revenue: 'revenue',
  recencyDays: 'toFloat64(reference_day - last_day)',
  frequency: 'invoice_count / (last_day - first_day + 1)',
  returns: 'toFloat64(return_items)',
  invoices: 'toFloat64(invoice_count)',
  items: 'toFloat64(purchase_items)',
  products: 'toFloat64(purchase_lines)',
  avgTicket: 'if(invoice_count > 0, revenue / invoice_count, 0)',
};

/** Reads per-customer features (features service tables) for the API. */
@Injectable()
export class FeaturesRepository {
  readonly policy: CleaningPolicy;
  private layout?: Promise<{ aggregates: string[]; states: string[] }>;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.policy = policyPreset(config.FEATURE_POLICY);
  }

  /** Column names of the aggregates query and of customer_day_states (read once with DESCRIBE). */
  private columns(): Promise<{ aggregates: string[]; states: string[] }> {
    if (!this.layout) {
      const describe = (what: string) => selectRows<{ name: string }>(this.clickhouse, `DESCRIBE TABLE ${what}`).then((r) => r.map((c) => c.name));
      this.layout = Promise.all([describe(`(${readAggregatesSql(this.policy, { source: 'states' })})`), describe('customer_day_states')]).then(
        ([aggregates, states]) => ({ aggregates, states }),
      );
      this.layout.catch(() => (this.layout = undefined));
    }
    return this.layout;
  }

  /** Per-customer aggregates with the canonical columns, for `scope` (a SCOPE entry) or all customers. */
  async aggregatesSql(scope?: string): Promise<string> {
    const inner = scope ? scopedAggregatesSql(this.policy, scope) : readAggregatesSql(this.policy, { source: 'states' });
    return canonicalColumnsSql(inner, (await this.columns()).aggregates);
  }

  async forCustomer(customerId: string): Promise<CustomerFeatures | null> {
    const rows = await selectRows<Record<string, unknown>>(this.clickhouse, scopedAggregatesSql(this.policy, SCOPE.oneCustomer), {
      customer_id: customerId,
    });
    return rows[0] ? deriveFeatures(aggregateFromRow(rows[0])) : null;
  }

  /** Every customer's features (the configured policy). */
  async all(): Promise<CustomerFeatures[]> {
    const rows = await selectRows<Record<string, unknown>>(this.clickhouse, readAggregatesSql(this.policy, { source: 'states' }));
    return rows.map((r) => deriveFeatures(aggregateFromRow(r)));
  }

  /** Changes when the policy's states or the synthetic-customer numbering change (row counts; O(1) reads). */
  async fingerprint(): Promise<string> {
    const rows = await selectRows<Record<string, string>>(
      this.clickhouse,
      `SELECT (SELECT toString(count()) FROM customer_day_states WHERE policy = {policy:String}) AS s,
              (SELECT toString(count()) FROM customer_activity) AS a,
              (SELECT toString(max(last_changed_at)) FROM customer_activity) AS c`,
      { policy: policyStateKey(this.policy) },
    );
    return JSON.stringify(rows[0] ?? {});
  }

  /** Mean and population standard deviation of every explanation fact over all customers of the policy. */
  async population(): Promise<PopulationStats> {
    const cols = Object.entries(FACT_SQL)
      .map(([k, e]) => `avg(${e}) AS mean_${k}, stddevPop(${e}) AS std_${k}`)
      .join(', ');
    const rows = await selectRows<Record<string, number | string>>(
      this.clickhouse,
      `SELECT toUInt32(count()) AS customers, ${cols} FROM (${await this.aggregatesSql()})`,
    );
    const r = rows[0] ?? {};
    const mean: Record<string, number> = {};
    const std: Record<string, number> = {};
    for (const k of Object.keys(FACT_SQL)) {
      mean[k] = Number(r[`mean_${k}`] ?? 0) || 0;
      std[k] = Number(r[`std_${k}`] ?? 0) || 0;
    }
    return { customers: Number(r.customers ?? 0), mean, std };
  }

  /**
   * Gross revenue (purchases, policy-cleaned) per bucket of [from, to) and segment. `at-time` attributes each day's
   * revenue to the segment the customer was in at the end of that day (membership history, as-of join); `current`
   * to the customer's segment now. Revenue of identified customers in no segment (at that time / now) is reported
   * under segment id NOT_SEGMENTED, so the series add up to the total; anonymous invoices (synthetic customers)
   * are not attributed.
   */
  async revenueBySegment(
    fromMs: number,
    toMs: number,
    bucketing: Bucketing,
    attribution: RevenueAttribution = 'at-time',
  ): Promise<{ segmentId: number; t: number; revenue: number }[]> {
    const states = (await this.columns()).states;
    const revenue = states.includes('purchase_micros') ? 'toFloat64(purchase_micros) / 1000000' : 'toFloat64(purchase_revenue)';
    const segmentOf =
      attribution === 'at-time'
        ? `ASOF LEFT JOIN (SELECT customer_id, at, to_segment FROM membership_history) AS m
             ON m.customer_id = d.customer_key AND d.day_end > m.at`
        : 'LEFT JOIN (SELECT customer_id, segment_id AS to_segment FROM memberships FINAL) AS m ON m.customer_id = d.customer_key';
    const rows = await selectRows<{ segment_id: number; t: string; revenue: number }>(
      this.clickhouse,
      `SELECT if(m.customer_id = '' OR m.to_segment IS NULL, ${NOT_SEGMENTED}, toInt32(m.to_segment)) AS segment_id,
              ${bucketSql('toDateTime64(d.day, 3, \'UTC\')', bucketing)} AS t,
              sum(d.revenue) AS revenue
       FROM (
         SELECT customer_key, day, toDateTime64(day + 1, 3, 'UTC') AS day_end, ${revenue} AS revenue FROM customer_day_states
         WHERE policy = {policy:String} AND NOT startsWith(customer_key, 'invoice:')
           AND day >= toDate(${msParam('from')}) AND day < toDate(${msParam('to')})
       ) AS d
       ${segmentOf}
       GROUP BY segment_id, t ORDER BY segment_id, t`,
      { policy: policyStateKey(this.policy), from: fromMs, to: toMs, ...bucketParams(bucketing) },
    );
    return rows.map((r) => ({ segmentId: Number(r.segment_id), t: Number(r.t), revenue: Number(r.revenue) }));
  }
}
