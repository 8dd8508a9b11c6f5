import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { rowFilterSql, type CleaningPolicy } from '@insiders/features-core';
import { CLICKHOUSE } from '@insiders/storage';

/**
 * The dashboard's own reads (what the REST API does not already serve): KPIs, the 2-D map, customers by country and
 * customer-id suggestions. Request values are bound parameters; the policy's row filter comes from configuration.
 */

export interface DashboardTotals {
  customers: number;
  insiders: number;
  segments: { segmentId: number; size: number; insiders: number }[];
}

export interface RevenueTotals {
  total: number;
  insiders: number;
}

export interface CountryRow {
  country: string;
  customers: number;
  insiders: number;
  revenue: number;
}

export interface MapPoint {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  x: number;
  y: number;
}

const INSIDERS = 'SELECT customer_id FROM memberships FINAL WHERE is_insider = 1';

const iso = (v: string | null | undefined): string | null =>
  !v || v.startsWith('1970-01-01') ? null : v.includes('T') ? v : `${v.replace(' ', 'T')}Z`;

@Injectable()
export class DashboardRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  private async rows<T>(query: string, params: Record<string, unknown> = {}): Promise<T[]> {
    const rs = await this.clickhouse.query({ query, query_params: params, format: 'JSONEachRow' });
    return rs.json<T>();
  }

  async totals(): Promise<DashboardTotals> {
    const rows = await this.rows<{ segment_id: number; size: string; insiders: string }>(
      `SELECT segment_id, toString(count()) AS size, toString(countIf(is_insider = 1)) AS insiders
       FROM memberships FINAL GROUP BY segment_id ORDER BY segment_id`,
    );
    const segments = rows.map((r) => ({ segmentId: Number(r.segment_id), size: Number(r.size), insiders: Number(r.insiders) }));
    return {
      customers: segments.reduce((s, r) => s + r.size, 0),
      insiders: segments.reduce((s, r) => s + r.insiders, 0),
      segments,
    };
  }

  /** Purchase revenue of the lines the policy keeps, in total and of today's Insiders. */
  async revenue(policy: CleaningPolicy): Promise<RevenueTotals> {
    const rows = await this.rows<{ total: number; insiders: number }>(
      `SELECT sum(quantity * unit_price) AS total, sumIf(quantity * unit_price, customer_key IN (${INSIDERS})) AS insiders
       FROM invoice_lines WHERE quantity > 0 AND (${rowFilterSql(policy)})`,
    );
    return { total: Number(rows[0]?.total ?? 0), insiders: Number(rows[0]?.insiders ?? 0) };
  }

  /** First and last business time in the membership history (the range the time charts cover). */
  async historyRange(): Promise<{ first: string; last: string } | null> {
    const rows = await this.rows<{ first: string; last: string; n: string }>(
      `SELECT toString(min(at)) AS first, toString(max(at)) AS last, toString(count()) AS n FROM membership_history`,
    );
    const r = rows[0];
    if (!r || r.n === '0') return null;
    return { first: iso(r.first)!, last: iso(r.last)! };
  }

  /** Customers (policy-kept, with purchases) by the country of their latest line, with Insiders and revenue. */
  async countries(policy: CleaningPolicy): Promise<CountryRow[]> {
    const rows = await this.rows<{ country: string; customers: string; insiders: string; revenue: number }>(
      `SELECT last_country AS country, toString(count()) AS customers, toString(countIf(is_insider)) AS insiders, sum(revenue) AS revenue
       FROM (
         SELECT customer_key, argMax(country, invoice_time) AS last_country, sum(quantity * unit_price) AS revenue,
                customer_key IN (${INSIDERS}) AS is_insider
         FROM invoice_lines WHERE quantity > 0 AND (${rowFilterSql(policy)})
         GROUP BY customer_key
       )
       GROUP BY last_country ORDER BY count() DESC, last_country`,
    );
    return rows.map((r) => ({ country: r.country, customers: Number(r.customers), insiders: Number(r.insiders), revenue: Number(r.revenue) }));
  }

  async mapPoints(limit: number): Promise<{ total: number; points: MapPoint[] }> {
    const [total, rows] = await Promise.all([
      this.rows<{ n: string }>(`SELECT toString(count()) AS n FROM memberships FINAL`),
      this.rows<{ customer_id: string; segment_id: number; is_insider: number; map_x: number; map_y: number }>(
        `SELECT customer_id, segment_id, is_insider, map_x, map_y FROM memberships FINAL
         WHERE isFinite(map_x) AND isFinite(map_y)
         ORDER BY cityHash64(customer_id), customer_id LIMIT {limit:UInt32}`,
        { limit },
      ),
    ]);
    return {
      total: Number(total[0]?.n ?? 0),
      points: rows.map((r) => ({
        customerId: r.customer_id,
        segmentId: Number(r.segment_id),
        isInsider: Number(r.is_insider) === 1,
        x: Number(r.map_x),
        y: Number(r.map_y),
      })),
    };
  }

  /** Customer ids starting with `prefix` (the search box's suggestions). */
  async suggest(prefix: string, limit: number): Promise<{ customerId: string; segmentId: number; isInsider: boolean }[]> {
    const rows = await this.rows<{ customer_id: string; segment_id: number; is_insider: number }>(
      `SELECT customer_id, segment_id, is_insider FROM memberships FINAL
       WHERE startsWith(customer_id, {prefix:String}) ORDER BY customer_id LIMIT {limit:UInt32}`,
      { prefix, limit },
    );
    return rows.map((r) => ({ customerId: r.customer_id, segmentId: Number(r.segment_id), isInsider: Number(r.is_insider) === 1 }));
  }
}
