import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import {
  deriveFeatures,
  readAggregatesSql,
  rowFilterSql,
  type CleaningPolicy,
  type CustomerAggregate,
  type CustomerFeatures,
} from '@insiders/features-core';
import { CLICKHOUSE, type SegmentRow as SegmentTableRow } from '@insiders/storage';

/**
 * Every read the business report and the dashboard make, and the only place in them that talks to ClickHouse.
 * Values reach SQL as bound `{name:Type}` parameters; the per-customer feature SQL is the features library's builder
 * (`readAggregatesSql`), whose only inputs are the configured cleaning policy, never a request value.
 */

export interface ActiveModelRow {
  version: number;
  createdAt: string;
  dataCutoff: string;
  customers: number;
  k: number;
  silhouette: number;
  params: string;
  ariPrevious: number | null;
}

export interface SegmentRow {
  segmentId: number;
  name: string;
  isInsiders: boolean;
  size: number;
  share: number;
  revenueShare: number;
  meanRevenue: number;
  meanRecency: number;
}

export interface MembershipRow {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  modelVersion: number;
}

export interface MonthlyRevenueRow {
  /** First day of the month, YYYY-MM-DD. */
  month: string;
  revenue: number;
  insidersRevenue: number;
  customers: number;
  insidersCustomers: number;
  /** First and last day with data in the month, YYYY-MM-DD. */
  firstDay: string;
  lastDay: string;
}

export interface TransitionTotalsRow {
  entered: number;
  exited: number;
  first: string | null;
  last: string | null;
}

export interface MapPointRow {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  x: number;
  y: number;
}

/** A readAggregatesSql row: columns in the builder's SELECT order (see libs/features-core/src/features.sql.ts). */
type AggregateRow = unknown[];
const AGGREGATE_COLUMNS = 16;

/** A readAggregatesSql row as the features library's aggregate (64-bit integers may arrive as strings). */
export function toAggregate(r: AggregateRow): CustomerAggregate {
  if (r.length !== AGGREGATE_COLUMNS) {
    throw new Error(`features-core readAggregatesSql returned ${r.length} columns, the report maps ${AGGREGATE_COLUMNS}: update toAggregate`);
  }
  const n = (v: unknown) => Number(v);
  const list = (v: unknown) => (v as unknown[]).map(n);
  return {
    customerId: String(r[0]),
    synthetic: n(r[1]) === 1,
    revenueMicros: n(r[2]),
    purchaseLines: n(r[3]),
    purchaseItems: n(r[4]),
    returnLines: n(r[5]),
    returnItems: n(r[6]),
    basketProducts: n(r[7]),
    invoices: n(r[8]),
    uniqueProducts: n(r[9]),
    firstDay: n(r[10]),
    lastDay: n(r[11]),
    referenceDay: n(r[12]),
    purchaseDays: list(r[13]),
    purchaseDayMicros: list(r[14]),
    country: String(r[15]),
  };
}

const ts = (v: string | null | undefined): string | null =>
  v === null || v === undefined || v === '' || v.startsWith('1970-01-01') ? null : v.includes('T') ? v : `${v.replace(' ', 'T')}Z`;

@Injectable()
export class ReportRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  private async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await this.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async activeModel(): Promise<ActiveModelRow | null> {
    const rows = await this.rows<{
      version: number;
      created_at: string;
      data_cutoff: string;
      customers: number;
      k: number;
      silhouette: number;
      params: string;
      ari_previous: number | null;
    }>(
      `SELECT version, created_at, data_cutoff, customers, k, silhouette, params, ari_previous
       FROM models FINAL WHERE status = {status:String} ORDER BY version DESC LIMIT 1`,
      { status: 'active' },
    );
    const r = rows[0];
    if (!r) return null;
    return {
      version: Number(r.version),
      createdAt: ts(r.created_at) ?? '',
      dataCutoff: ts(r.data_cutoff) ?? '',
      customers: Number(r.customers),
      k: Number(r.k),
      silhouette: Number(r.silhouette),
      params: r.params,
      ariPrevious: r.ari_previous === null ? null : Number(r.ari_previous),
    };
  }

  async segments(modelVersion: number): Promise<SegmentRow[]> {
    const rows = await this.rows<
      Pick<SegmentTableRow, 'segment_id' | 'name' | 'is_insiders' | 'size' | 'share' | 'revenue_share' | 'mean_revenue' | 'mean_recency'>
    >(
      `SELECT segment_id, name, is_insiders, size, share, revenue_share, mean_revenue, mean_recency
       FROM segments FINAL WHERE model_version = {version:UInt32} ORDER BY segment_id`,
      { version: modelVersion },
    );
    return rows.map((r) => ({
      segmentId: Number(r.segment_id),
      name: r.name,
      isInsiders: Number(r.is_insiders) === 1,
      size: Number(r.size),
      share: Number(r.share),
      revenueShare: Number(r.revenue_share),
      meanRevenue: Number(r.mean_revenue),
      meanRecency: Number(r.mean_recency),
    }));
  }

  async memberships(): Promise<MembershipRow[]> {
    const rows = await this.rows<{ customer_id: string; segment_id: number; is_insider: number; model_version: number }>(
      `SELECT customer_id, segment_id, is_insider, model_version FROM memberships FINAL`,
    );
    return rows.map((r) => ({
      customerId: r.customer_id,
      segmentId: Number(r.segment_id),
      isInsider: Number(r.is_insider) === 1,
      modelVersion: Number(r.model_version),
    }));
  }

  /** Cheap change marker of the memberships table: a cached report is recomputed when it moves. */
  async membershipsStamp(): Promise<string> {
    const rows = await this.rows<{ n: string; last: string }>(
      `SELECT toString(count()) AS n, toString(max(updated_at)) AS last FROM memberships`,
    );
    return `${rows[0]?.n ?? 0}@${rows[0]?.last ?? ''}`;
  }

  async rfmSegments(): Promise<{ customerId: string; segment: string }[]> {
    const rows = await this.rows<{ customer_id: string; segment: string }>(`SELECT customer_id, segment FROM rfm_scores FINAL`);
    return rows.map((r) => ({ customerId: r.customer_id, segment: r.segment }));
  }

  /** Per-customer features of every customer the policy keeps (from the maintained feature states). */
  async customerFeatures(policy: CleaningPolicy): Promise<CustomerFeatures[]> {
    const rs = await this.clickhouse.query({
      query: readAggregatesSql(policy, { source: 'states' }),
      format: 'JSONCompactEachRow',
    });
    return (await rs.json<AggregateRow>()).map((r) => deriveFeatures(toAggregate(r)));
  }

  /**
   * Purchase revenue per calendar month from the raw invoice lines the cleaning policy keeps (the policy's row
   * filter from the features library), in total and for the customers who are Insiders now. Lines without a
   * customer id count in the total only.
   */
  async monthlyRevenue(policy: CleaningPolicy): Promise<MonthlyRevenueRow[]> {
    const insiders = 'SELECT customer_id FROM memberships FINAL WHERE is_insider = 1';
    const rows = await this.rows<{
      month: string;
      revenue: number;
      insiders_revenue: number;
      customers: string;
      insiders_customers: string;
      first_day: string;
      last_day: string;
    }>(
      `SELECT toString(toStartOfMonth(invoice_time)) AS month,
              sum(quantity * unit_price) AS revenue,
              sumIf(quantity * unit_price, is_insider) AS insiders_revenue,
              toString(uniqExact(customer_key)) AS customers,
              toString(uniqExactIf(customer_key, is_insider)) AS insiders_customers,
              toString(min(toDate(invoice_time))) AS first_day,
              toString(max(toDate(invoice_time))) AS last_day
       FROM (
         SELECT invoice_time, quantity, unit_price, customer_key, customer_key IN (${insiders}) AS is_insider
         FROM invoice_lines
         WHERE quantity > 0 AND (${rowFilterSql(policy)})
       )
       GROUP BY month ORDER BY month`,
    );
    return rows.map((r) => ({
      month: r.month,
      revenue: Number(r.revenue),
      insidersRevenue: Number(r.insiders_revenue),
      customers: Number(r.customers),
      insidersCustomers: Number(r.insiders_customers),
      firstDay: r.first_day,
      lastDay: r.last_day,
    }));
  }

  async transitionTotals(): Promise<TransitionTotalsRow> {
    const rows = await this.rows<{ entered: string; exited: string; first: string; last: string; n: string }>(
      `SELECT toString(countIf(to_insider = 1 AND from_insider = 0)) AS entered,
              toString(countIf(from_insider = 1 AND to_insider = 0)) AS exited,
              toString(minIf(at, from_insider != to_insider)) AS first,
              toString(maxIf(at, from_insider != to_insider)) AS last,
              toString(countIf(from_insider != to_insider)) AS n
       FROM membership_history`,
    );
    const r = rows[0];
    const any = r && r.n !== '0';
    return {
      entered: Number(r?.entered ?? 0),
      exited: Number(r?.exited ?? 0),
      first: any ? ts(r.first) : null,
      last: any ? ts(r.last) : null,
    };
  }

  /** Customers on the 2-D map; at most `limit`, an even deterministic sample (by id hash) when there are more. */
  async mapPoints(limit: number): Promise<{ total: number; points: MapPointRow[] }> {
    const total = await this.rows<{ n: string }>(`SELECT toString(count()) AS n FROM memberships FINAL`);
    const n = Number(total[0]?.n ?? 0);
    const rows = await this.rows<{ customer_id: string; segment_id: number; is_insider: number; map_x: number; map_y: number }>(
      `SELECT customer_id, segment_id, is_insider, map_x, map_y FROM memberships FINAL
       WHERE isFinite(map_x) AND isFinite(map_y)
       ORDER BY cityHash64(customer_id) LIMIT {limit:UInt32}`,
      { limit },
    );
    return {
      total: n,
      points: rows.map((r) => ({
        customerId: r.customer_id,
        segmentId: Number(r.segment_id),
        isInsider: Number(r.is_insider) === 1,
        x: Number(r.map_x),
        y: Number(r.map_y),
      })),
    };
  }
}
