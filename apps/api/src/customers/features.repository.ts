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

export function scopedAggregatesSql(policy: CleaningPolicy, scope: string): string {
  const sql = readAggregatesSql(policy, { source: 'states', customerIds: [SENTINEL] });
  const literal = sqlString(SENTINEL);
  if (!sql.includes(literal)) throw new Error('features-core readAggregatesSql no longer scopes by customer id list');
  return sql.split(`(${literal})`).join(`(${scope})`);
}

/**
 * Canonical names of the aggregate columns, by position (the features repository maps them by position too).
 * The API wraps the builder's query and renames positionally, so a rename there does not break the API.
 */
export const AGGREGATE_COLUMNS = [
  'customer_id',
  'synthetic',
  'gross_revenue',
  'revenue_float',
  'purchase_lines',
  'purchase_items',
  'return_lines',
  'return_items',
  'basket_products',
  'invoice_count',
  'unique_products',
  'first_day',
  'last_day',
  'reference_day',
  'weekday_keys',
  'weekday_values',
  'dom_keys',
  'dom_values',
  'last_country',
] as const;

export function renameColumnsSql(inner: string, actual: readonly string[]): string {
  if (actual.length !== AGGREGATE_COLUMNS.length) {
    throw new Error(`features-core aggregates have ${actual.length} columns, the API expects ${AGGREGATE_COLUMNS.length}`);
  }
  const quote = (c: string) => `\`${c.replace(/`/g, '``')}\``;
  return `SELECT ${actual.map((c, i) => `${quote(c)} AS ${AGGREGATE_COLUMNS[i]}`).join(', ')} FROM (${inner})`;
}

/** Subquery scopes (fixed SQL, no user input). */
export const SCOPE = {
  oneCustomer: '{customer_id:String}',
  insiders: 'SELECT customer_id FROM memberships FINAL WHERE is_insider = 1',
} as const;

/** Aggregate column order of readAggregatesSql (CUSTOMER_AGGREGATE_COLUMNS). */
type AggregateRow = [string, number, string, number, number, number, number, number, number, number, number, number, number, number, number[], number[], number[], number[], string];

function toAggregate(r: AggregateRow): CustomerAggregate {
  const n = (v: unknown) => Number(v);
  return {
    customerId: r[0],
    synthetic: n(r[1]) === 1,
    grossRevenue: String(r[2]),
    revenue: n(r[3]),
    purchaseLines: n(r[4]),
    purchaseItems: n(r[5]),
    returnLines: n(r[6]),
    returnItems: n(r[7]),
    basketProducts: n(r[8]),
    invoices: n(r[9]),
    uniqueProducts: n(r[10]),
    firstDay: n(r[11]),
    lastDay: n(r[12]),
    referenceDay: n(r[13]),
    weekdayKeys: r[14].map(n),
    weekdayValues: r[15].map(n),
    dayOfMonthKeys: r[16].map(n),
    dayOfMonthValues: r[17].map(n),
    country: r[18],
  };
}

/** Population mean and standard deviation of the facts explanations compare against. */
export interface PopulationStats {
  customers: number;
  mean: Record<string, number>;
  std: Record<string, number>;
}

/** Derived facts over the aggregate columns (same formulas as deriveFeatures). */
const FACT_SQL: Record<string, string> = {
  revenue: 'revenue_float',
  recencyDays: 'toFloat64(reference_day - last_day)',
  frequency: 'invoice_count / (last_day - first_day + 1)',
  returns: 'toFloat64(return_items)',
  invoices: 'toFloat64(invoice_count)',
  items: 'toFloat64(purchase_items)',
  products: 'toFloat64(purchase_lines)',
  avgTicket: 'if(invoice_count > 0, revenue_float / invoice_count, 0)',
};

/** Reads per-customer features (features service tables) for the API. */
@Injectable()
export class FeaturesRepository {
  readonly policy: CleaningPolicy;

  private columns?: Promise<string[]>;

  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.policy = policyPreset(config.FEATURE_POLICY);
  }

  /**
   * Per-customer aggregates with canonical column names (AGGREGATE_COLUMNS), for `scope` (a SCOPE entry) or all
   * customers. The builder's column names are read once with DESCRIBE.
   */
  async aggregatesSql(scope?: string): Promise<string> {
    if (!this.columns) {
      this.columns = selectRows<{ name: string }>(
        this.clickhouse,
        `DESCRIBE TABLE (${readAggregatesSql(this.policy, { source: 'states' })})`,
      ).then((rows) => rows.map((r) => r.name));
      this.columns.catch(() => (this.columns = undefined));
    }
    const inner = scope ? scopedAggregatesSql(this.policy, scope) : readAggregatesSql(this.policy, { source: 'states' });
    return renameColumnsSql(inner, await this.columns);
  }

  async forCustomer(customerId: string): Promise<CustomerFeatures | null> {
    const rs = await this.clickhouse.query({
      query: scopedAggregatesSql(this.policy, SCOPE.oneCustomer),
      query_params: { customer_id: customerId },
      format: 'JSONCompactEachRow',
    });
    const rows = await rs.json<AggregateRow>();
    return rows[0] ? deriveFeatures(toAggregate(rows[0])) : null;
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

  /** Every customer's features (the configured policy). */
  async all(): Promise<CustomerFeatures[]> {
    const rs = await this.clickhouse.query({ query: readAggregatesSql(this.policy, { source: 'states' }), format: 'JSONCompactEachRow' });
    return (await rs.json<AggregateRow>()).map((r) => deriveFeatures(toAggregate(r)));
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
   * Gross revenue (purchases, policy-cleaned) per bucket of [from, to) and current segment. Lines of customers
   * without a current segment (or synthetic customers) are not attributed.
   */
  async revenueBySegment(
    fromMs: number,
    toMs: number,
    bucketing: Bucketing,
  ): Promise<{ segmentId: number; t: number; revenue: number }[]> {
    const rows = await selectRows<{ segment_id: number; t: string; revenue: number }>(
      this.clickhouse,
      `SELECT m.segment_id AS segment_id, ${bucketSql('toDateTime64(d.day, 3, \'UTC\')', bucketing)} AS t,
              toFloat64(sum(d.purchase_revenue)) AS revenue
       FROM (
         SELECT customer_key, day, purchase_revenue FROM customer_day_states
         WHERE policy = {policy:String}
           AND day >= toDate(${msParam('from')}) AND day < toDate(${msParam('to')})
       ) AS d
       INNER JOIN (SELECT customer_id, segment_id FROM memberships FINAL) AS m ON m.customer_id = d.customer_key
       GROUP BY segment_id, t ORDER BY segment_id, t`,
      { policy: policyStateKey(this.policy), from: fromMs, to: toMs, ...bucketParams(bucketing) },
    );
    return rows.map((r) => ({ segmentId: r.segment_id, t: Number(r.t), revenue: Number(r.revenue) }));
  }
}
