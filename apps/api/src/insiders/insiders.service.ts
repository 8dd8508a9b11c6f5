import { Inject, Injectable } from '@nestjs/common';
import type { InsidersListQuery } from '@insiders/api-contracts';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { TtlCache } from '../common/ttl-cache';
import { MembershipsRepository, type MembershipChange, type TransitionDirection } from '../customers/memberships.repository';
import { SegmentsService } from '../segments/segments.service';
import { toCsv } from './csv';
import { CustomerReadModel } from '../customers/customer-read-model';
import { InsidersRepository, type InsiderRow } from './insiders.repository';

export interface InsidersPage {
  total: number;
  limit: number;
  offset: number;
  items: (InsiderRow & { segmentName: string })[];
}

const CSV_COLUMNS = [
  'customerId',
  'segmentId',
  'segmentName',
  'modelVersion',
  'confidence',
  'since',
  'country',
  'revenue',
  'recencyDays',
  'frequency',
  'invoices',
  'items',
  'returns',
  'avgTicket',
] as const;

@Injectable()
export class InsidersService {
  private readonly cache: TtlCache<InsidersPage>;

  constructor(
    private readonly insiders: InsidersRepository,
    private readonly memberships: MembershipsRepository,
    private readonly segments: SegmentsService,
    private readonly readModel: CustomerReadModel,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {
    this.cache = new TtlCache(config.CACHE_TTL_MS, 1_000);
  }

  list(q: InsidersListQuery): Promise<InsidersPage> {
    return this.cache.get(JSON.stringify(q), () => this.load(q, q.limit, q.offset));
  }

  /** Every Insider matching the filters (up to CSV_EXPORT_MAX_ROWS) as CSV. */
  async exportCsv(q: InsidersListQuery): Promise<string> {
    const page = await this.load(q, this.config.CSV_EXPORT_MAX_ROWS, 0);
    return toCsv(CSV_COLUMNS, page.items as unknown as Record<string, unknown>[]);
  }

  async transitions(
    fromMs: number,
    toMs: number,
    direction: TransitionDirection,
    limit: number,
    offset: number,
  ): Promise<{ from: string; to: string; entered: number; exited: number; limit: number; offset: number; items: (MembershipChange & { direction: 'entered' | 'exited' })[] }> {
    const page = await this.memberships.transitions(fromMs, toMs, direction, limit, offset);
    return {
      from: new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      entered: page.entered,
      exited: page.exited,
      limit,
      offset,
      items: page.items.map((c) => ({ ...c, direction: c.toInsider ? 'entered' : 'exited' })),
    };
  }

  private async load(q: InsidersListQuery, limit: number, offset: number): Promise<InsidersPage> {
    const [page, names] = await Promise.all([
      this.readModel.ready ? this.fromReadModel(q, limit, offset) : this.insiders.page(q, limit, offset),
      this.segments.names(),
    ]);
    const nameOf = new Map(names.map((n) => [n.segmentId, n.name]));
    return {
      total: page.total,
      limit,
      offset,
      items: page.items.map((r) => ({ ...r, segmentName: nameOf.get(r.segmentId) ?? `segment ${r.segmentId}` })),
    };
  }

  /** The same selection as InsidersRepository.page, over the in-memory read model. */
  private fromReadModel(q: InsidersListQuery, limit: number, offset: number): { total: number; items: InsiderRow[] } {
    const rows: InsiderRow[] = [];
    for (const [customerId, e] of this.readModel.all() ?? []) {
      const m = e.membership;
      if (!m?.isInsider) continue;
      if (q.segmentId !== undefined && m.segmentId !== q.segmentId) continue;
      if (q.minConfidence !== undefined && m.confidence < q.minConfidence) continue;
      if (q.q !== undefined && !customerId.startsWith(q.q)) continue;
      const f = e.features;
      const row: InsiderRow = {
        customerId,
        segmentId: m.segmentId,
        modelVersion: m.modelVersion,
        confidence: m.confidence,
        since: m.updatedAt,
        country: f?.country ?? '',
        revenue: f?.grossRevenue ?? 0,
        recencyDays: f?.recencyDays ?? 0,
        frequency: f?.frequency ?? 0,
        invoices: f?.invoices ?? 0,
        items: f?.items ?? 0,
        returns: f?.returns ?? 0,
        avgTicket: f?.averageTicket ?? 0,
      };
      if (q.country !== undefined && row.country !== q.country) continue;
      if (q.minRevenue !== undefined && row.revenue < q.minRevenue) continue;
      rows.push(row);
    }
    const key = SORT_KEYS[q.sort];
    const sign = q.order === 'asc' ? 1 : -1;
    rows.sort((a, b) => {
      const x = a[key];
      const y = b[key];
      const c = typeof x === 'string' ? (x < (y as string) ? -1 : x > (y as string) ? 1 : 0) : (x as number) - (y as number);
      return c !== 0 ? sign * c : a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : 0;
    });
    return { total: rows.length, items: rows.slice(offset, offset + limit) };
  }
}

const SORT_KEYS: Record<InsidersListQuery['sort'], keyof InsiderRow> = {
  revenue: 'revenue',
  recency: 'recencyDays',
  frequency: 'frequency',
  customerId: 'customerId',
  confidence: 'confidence',
};
