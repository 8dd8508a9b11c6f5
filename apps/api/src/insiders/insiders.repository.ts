import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import type { InsidersListQuery } from '@insiders/api-contracts';
import { CLICKHOUSE } from '@insiders/storage';
import { isoFromClickHouse, selectRows } from '../common/clickhouse.helpers';
import { FeaturesRepository, SCOPE } from '../customers/features.repository';

export interface InsiderRow {
  customerId: string;
  segmentId: number;
  modelVersion: number;
  confidence: number;
  since: string | null;
  country: string;
  revenue: number;
  recencyDays: number;
  frequency: number;
  invoices: number;
  items: number;
  returns: number;
  avgTicket: number;
}

/** Sort keys to SQL (closed list: the sort parameter never reaches SQL as text). */
const SORT_SQL: Record<InsidersListQuery['sort'], string> = {
  revenue: 'revenue',
  recency: 'recency_days',
  frequency: 'frequency',
  customerId: 'customer_id',
  confidence: 'confidence',
};

/** The Insiders list: current Insiders joined with their features, filtered, sorted and paginated in SQL. */
@Injectable()
export class InsidersRepository {
  constructor(
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    private readonly features: FeaturesRepository,
  ) {}

  async page(q: Omit<InsidersListQuery, 'limit' | 'offset'>, limit: number, offset: number): Promise<{ total: number; items: InsiderRow[] }> {
    const membershipFilters = ['is_insider = 1'];
    const outerFilters = ['1'];
    const params: Record<string, unknown> = { limit, offset };
    if (q.segmentId !== undefined) {
      membershipFilters.push('segment_id = {segment_id:UInt16}');
      params.segment_id = q.segmentId;
    }
    if (q.minConfidence !== undefined) {
      membershipFilters.push('confidence >= {min_confidence:Float64}');
      params.min_confidence = q.minConfidence;
    }
    if (q.q !== undefined) {
      membershipFilters.push('startsWith(customer_id, {prefix:String})');
      params.prefix = q.q;
    }
    if (q.country !== undefined) {
      outerFilters.push('country = {country:String}');
      params.country = q.country;
    }
    if (q.minRevenue !== undefined) {
      outerFilters.push('revenue >= {min_revenue:Float64}');
      params.min_revenue = q.minRevenue;
    }
    const direction = q.order === 'asc' ? 'ASC' : 'DESC';
    const rows = await selectRows<{
      customer_id: string;
      segment_id: number;
      model_version: number;
      confidence: number;
      updated_at: string;
      country: string;
      revenue: number;
      recency_days: number;
      frequency: number;
      invoices: number;
      items: number;
      returns: number;
      avg_ticket: number;
      total: number | string;
    }>(
      this.clickhouse,
      `SELECT *, count() OVER () AS total FROM (
         SELECT m.customer_id AS customer_id, m.segment_id AS segment_id, m.model_version AS model_version,
                m.confidence AS confidence, m.updated_at AS updated_at,
                f.last_country AS country,
                f.revenue AS revenue,
                toInt32(f.reference_day - f.last_day) AS recency_days,
                if(f.customer_id = '', 0, f.invoice_count / (f.last_day - f.first_day + 1)) AS frequency,
                toUInt32(f.invoice_count) AS invoices,
                toInt64(f.purchase_items) AS items,
                toInt64(f.return_items) AS returns,
                if(f.invoice_count > 0, f.revenue / f.invoice_count, 0) AS avg_ticket
         FROM (SELECT * FROM memberships FINAL WHERE ${membershipFilters.join(' AND ')}) AS m
         LEFT JOIN (${await this.features.aggregatesSql(SCOPE.insiders)}) AS f ON f.customer_id = m.customer_id
       )
       WHERE ${outerFilters.join(' AND ')}
       ORDER BY ${SORT_SQL[q.sort]} ${direction}, customer_id ASC
       LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
      params,
    );
    const total = rows[0] ? Number(rows[0].total) : offset > 0 ? await this.count(membershipFilters, outerFilters, params) : 0;
    return {
      total,
      items: rows.map((r) => ({
        customerId: r.customer_id,
        segmentId: r.segment_id,
        modelVersion: r.model_version,
        confidence: r.confidence,
        since: isoFromClickHouse(r.updated_at),
        country: r.country,
        revenue: Number(r.revenue),
        recencyDays: Number(r.recency_days),
        frequency: Number(r.frequency),
        invoices: Number(r.invoices),
        items: Number(r.items),
        returns: Number(r.returns),
        avgTicket: Number(r.avg_ticket),
      })),
    };
  }

  /** Total when the requested page is past the end (the window count comes with rows only). */
  private async count(membershipFilters: string[], outerFilters: string[], params: Record<string, unknown>): Promise<number> {
    const rows = await selectRows<{ n: number | string }>(
      this.clickhouse,
      `SELECT count() AS n FROM (
         SELECT m.customer_id, f.last_country AS country, f.revenue AS revenue
         FROM (SELECT * FROM memberships FINAL WHERE ${membershipFilters.join(' AND ')}) AS m
         LEFT JOIN (${await this.features.aggregatesSql(SCOPE.insiders)}) AS f ON f.customer_id = m.customer_id
       ) WHERE ${outerFilters.join(' AND ')}`,
      params,
    );
    return Number(rows[0]?.n ?? 0);
  }
}
