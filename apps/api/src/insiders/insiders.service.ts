import { Inject, Injectable } from '@nestjs/common';
import type { InsidersListQuery } from '@insiders/api-contracts';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { TtlCache } from '../common/ttl-cache';
import { MembershipsRepository, type MembershipChange, type TransitionDirection } from '../customers/memberships.repository';
import { SegmentsService } from '../segments/segments.service';
import { toCsv } from './csv';
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
    const [page, names] = await Promise.all([this.insiders.page(q, limit, offset), this.segments.names()]);
    const nameOf = new Map(names.map((n) => [n.segmentId, n.name]));
    return {
      total: page.total,
      limit,
      offset,
      items: page.items.map((r) => ({ ...r, segmentName: nameOf.get(r.segmentId) ?? `segment ${r.segmentId}` })),
    };
  }
}
