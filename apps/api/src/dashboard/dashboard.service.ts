import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Subscription } from 'rxjs';
import { assertBucketCount, bucketStarts, type Bucketing } from '../common/buckets';
import { TtlCache } from '../common/ttl-cache';
import { MembershipsRepository } from '../customers/memberships.repository';
import { SegmentChangeStream } from '../live/segment-change.stream';
import { REPORT_OPTIONS, type ReportSettings } from '../report/report.options';
import { ReportRepository } from '../report/report.repository';
import { DashboardRepository, type CountryRow } from './dashboard.repository';

export interface DashboardSummary {
  generatedAt: string;
  customers: number;
  insiders: number;
  /** Insiders / assigned customers. */
  insidersShare: number;
  revenue: { total: number; insiders: number; insidersShare: number };
  model: { version: number; k: number; silhouette: number; createdAt: string; dataCutoff: string; ariPrevious: number | null } | null;
  /** Business-time range of the membership history (what the time charts can show). */
  history: { first: string; last: string } | null;
  /** Current members per segment of the active model (names from the segments table). */
  segments: { segmentId: number; name: string; isInsiders: boolean; size: number; insiders: number }[];
  featurePolicy: string;
}

export interface DashboardMap {
  total: number;
  sampled: boolean;
  /** [x, y, segmentId, isInsider 0/1, customerId] */
  points: [number, number, number, number, string][];
}

/** Whole-table reads are shared by every open dashboard for this long; a segment change drops them. */
const SHARED_READS_TTL_MS = 5_000;

/** What the dashboard page shows beyond the REST resources (KPIs, the map, countries, suggestions). */
@Injectable()
export class DashboardService implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;
  private readonly summaries = new TtlCache<DashboardSummary>(SHARED_READS_TTL_MS, 1);
  private readonly maps = new TtlCache<DashboardMap>(SHARED_READS_TTL_MS, 8);
  private readonly countryLists = new TtlCache<CountryRow[]>(SHARED_READS_TTL_MS, 1);

  constructor(
    private readonly dashboard: DashboardRepository,
    private readonly report: ReportRepository,
    private readonly memberships: MembershipsRepository,
    @Inject(REPORT_OPTIONS) private readonly settings: ReportSettings,
    @Optional() private readonly changes?: SegmentChangeStream,
  ) {}

  onModuleInit(): void {
    this.subscription = this.changes?.changes.subscribe(() => {
      this.summaries.clear();
      this.maps.clear();
      this.countryLists.clear();
    });
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }

  get mapMaxPoints(): number {
    return this.settings.mapMaxPoints;
  }

  summary(): Promise<DashboardSummary> {
    return this.summaries.get('summary', () => this.loadSummary());
  }

  private async loadSummary(): Promise<DashboardSummary> {
    const [totals, revenue, model, history] = await Promise.all([
      this.dashboard.totals(),
      this.dashboard.revenue(this.settings.policy),
      this.report.activeModel(),
      this.dashboard.historyRange(),
    ]);
    const segments = model ? await this.report.segments(model.version) : [];
    const meta = new Map(segments.map((s) => [s.segmentId, s]));
    const ids = [...new Set([...segments.map((s) => s.segmentId), ...totals.segments.map((s) => s.segmentId)])].sort((a, b) => a - b);
    const counts = new Map(totals.segments.map((s) => [s.segmentId, s]));
    return {
      generatedAt: new Date().toISOString(),
      customers: totals.customers,
      insiders: totals.insiders,
      insidersShare: totals.customers ? totals.insiders / totals.customers : 0,
      revenue: { total: revenue.total, insiders: revenue.insiders, insidersShare: revenue.total ? revenue.insiders / revenue.total : 0 },
      model: model
        ? {
            version: model.version,
            k: model.k,
            silhouette: model.silhouette,
            createdAt: model.createdAt,
            dataCutoff: model.dataCutoff,
            ariPrevious: model.ariPrevious,
          }
        : null,
      history,
      segments: ids.map((id) => ({
        segmentId: id,
        name: meta.get(id)?.name ?? `segment ${id}`,
        isInsiders: meta.get(id)?.isInsiders ?? false,
        size: counts.get(id)?.size ?? 0,
        insiders: counts.get(id)?.insiders ?? 0,
      })),
      featurePolicy: this.settings.policy.name,
    };
  }

  map(limit: number): Promise<DashboardMap> {
    const n = Math.min(limit, this.settings.mapMaxPoints);
    return this.maps.get(String(n), () => this.loadMap(n));
  }

  private async loadMap(limit: number): Promise<DashboardMap> {
    const { total, points } = await this.dashboard.mapPoints(limit);
    return {
      total,
      sampled: points.length < total,
      points: points.map((p) => [round(p.x), round(p.y), p.segmentId, p.isInsider ? 1 : 0, p.customerId]),
    };
  }

  /** The `limit` countries with most customers, the rest summed as "Other". */
  async countries(limit: number): Promise<{ countries: CountryRow[]; other: CountryRow | null; total: number }> {
    const all = await this.countryLists.get('countries', () => this.dashboard.countries(this.settings.policy));
    const top = all.slice(0, limit);
    const rest = all.slice(limit);
    const other = rest.length
      ? rest.reduce<CountryRow>(
          (o, r) => ({ country: `Other (${rest.length})`, customers: o.customers + r.customers, insiders: o.insiders + r.insiders, revenue: o.revenue + r.revenue }),
          { country: '', customers: 0, insiders: 0, revenue: 0 },
        )
      : null;
    return { countries: top, other, total: all.reduce((s, r) => s + r.customers, 0) };
  }

  /** Insiders entered / exited per bucket of [from, to), zero-filled. */
  async transitions(fromMs: number, toMs: number, bucketing: Bucketing): Promise<{ t: number; entered: number; exited: number }[]> {
    assertBucketCount(fromMs, toMs, bucketing);
    const counts = await this.memberships.transitionCounts(fromMs, toMs, bucketing);
    const byT = new Map(counts.map((c) => [c.t, c]));
    return bucketStarts(fromMs, toMs, bucketing).map((t) => ({ t, entered: byT.get(t)?.entered ?? 0, exited: byT.get(t)?.exited ?? 0 }));
  }

  suggest(prefix: string, limit: number) {
    return this.dashboard.suggest(prefix, limit);
  }
}

function round(v: number): number {
  return Math.round(v * 1e4) / 1e4;
}
