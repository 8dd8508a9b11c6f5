import { Inject, Injectable } from '@nestjs/common';
import type { GrafanaAnnotation, GrafanaQuery, GrafanaTable, GrafanaTarget, GrafanaTimeSerie } from '@insiders/api-contracts';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { bucketStarts, secondsFor, type Bucketing } from '../common/buckets';
import { ValidationFailed } from '../common/validation';
import { FeaturesRepository, NOT_SEGMENTED, type RevenueAttribution } from '../customers/features.repository';
import { MembershipsRepository } from '../customers/memberships.repository';
import { ModelsRepository, type ModelVersion } from '../models/models.repository';
import { SegmentsService } from '../segments/segments.service';

/** The metrics this datasource serves (Grafana "Metric" / target names). */
export const GRAFANA_TARGETS = {
  segment_sizes: { kind: 'timeserie', label: 'Segment sizes (customers per segment)' },
  insiders_count: { kind: 'timeserie', label: 'Insiders (number of customers)' },
  insiders_entered: { kind: 'timeserie', label: 'Insiders entered per interval' },
  insiders_exited: { kind: 'timeserie', label: 'Insiders exited per interval' },
  revenue_by_segment: { kind: 'timeserie', label: 'Gross revenue by segment per interval (segment at the time, or now)' },
  segment_profiles: { kind: 'table', label: 'Segment profiles of the active model' },
  model_versions: { kind: 'table', label: 'Model versions and their metrics' },
  refits: { kind: 'table', label: 'Refits in the range (annotation frame: time, timeEnd, title, text, tags)' },
} as const;
export type GrafanaTargetName = keyof typeof GRAFANA_TARGETS;

type Result = GrafanaTimeSerie | GrafanaTable;

const DAY_MS = 86_400_000;

const ATTRIBUTIONS: Record<RevenueAttribution, string> = {
  'at-time': 'Segment at the time',
  current: 'Current segment',
};

function isTarget(name: string | undefined): name is GrafanaTargetName {
  return name !== undefined && Object.prototype.hasOwnProperty.call(GRAFANA_TARGETS, name);
}

/**
 * The Grafana JSON datasource (simpod-json-datasource; SimpleJSON compatible): metric discovery, time series
 * and tables for the targets above, refit annotations, ad-hoc filter keys/values (`segment`).
 */
@Injectable()
export class GrafanaService {
  constructor(
    private readonly segments: SegmentsService,
    private readonly memberships: MembershipsRepository,
    private readonly features: FeaturesRepository,
    private readonly models: ModelsRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  search(): string[] {
    return Object.keys(GRAFANA_TARGETS);
  }

  /** simpod-json-datasource `/metrics` (builder mode) with the payload options of each metric. */
  async metrics(): Promise<{ label: string; value: string; payloads: { name: string; label: string; type: string; options?: { label: string; value: string }[] }[] }[]> {
    const segmentOption = await this.segmentOptions();
    return Object.entries(GRAFANA_TARGETS).map(([value, t]) => ({
      label: t.label,
      value,
      payloads: [
        ...(value === 'segment_sizes' || value === 'revenue_by_segment'
          ? [{ name: 'segments', label: 'Segments', type: 'multi-select', options: segmentOption }]
          : []),
        ...(value === 'revenue_by_segment'
          ? [{ name: 'attribution', label: 'Attribution', type: 'select', options: Object.entries(ATTRIBUTIONS).map(([v, label]) => ({ label, value: v })) }]
          : []),
      ],
    }));
  }

  async segmentOptions(): Promise<{ label: string; value: string }[]> {
    return (await this.segments.names()).map((n) => ({ label: n.name, value: String(n.segmentId) }));
  }

  async variable(payload: Record<string, unknown>): Promise<{ __text: string; __value: string }[]> {
    const target = typeof payload.target === 'string' ? payload.target : 'segments';
    if (target === 'metrics') return this.search().map((m) => ({ __text: m, __value: m }));
    return (await this.segments.names()).map((n) => ({ __text: n.name, __value: String(n.segmentId) }));
  }

  tagKeys(): { type: string; text: string }[] {
    return [{ type: 'string', text: 'segment' }];
  }

  async tagValues(key: string): Promise<{ text: string }[]> {
    if (key !== 'segment') return [];
    return (await this.segments.names()).map((n) => ({ text: n.name }));
  }

  async query(q: GrafanaQuery): Promise<Result[]> {
    const from = q.range.from.getTime();
    const to = q.range.to.getTime();
    if (from >= to) throw new ValidationFailed([{ field: 'range.from', message: 'must be before range.to' }]);
    if (to - from > this.config.MAX_RANGE_DAYS * DAY_MS) {
      throw new ValidationFailed([{ field: 'range.from', message: `range must span at most ${this.config.MAX_RANGE_DAYS} days` }]);
    }
    const points = Math.min(q.maxDataPoints ?? 1_000, this.config.GRAFANA_MAX_POINTS);
    const bucketing: Bucketing = { unit: 'seconds', seconds: secondsFor(from, to, q.intervalMs, points) };
    const excluded = this.excludedSegments(q);
    const memo = new Map<string, Promise<unknown>>();
    const out: Result[] = [];
    for (const [i, t] of q.targets.entries()) {
      if (t.hide) continue;
      if (!isTarget(t.target)) {
        throw new ValidationFailed([
          { field: `targets.${i}.target`, message: `unknown target "${t.target ?? ''}" (known: ${this.search().join(', ')})` },
        ]);
      }
      out.push(...(await this.run(t.target, { ...t, index: i }, from, to, bucketing, excluded, memo)));
    }
    return out;
  }

  async annotations(fromMs: number, toMs: number, annotation: unknown): Promise<GrafanaAnnotation[]> {
    const models = await this.models.createdBetween(fromMs, toMs);
    return models.map((m) => ({ annotation, ...this.refitAnnotation(m) }));
  }

  private refitAnnotation(m: ModelVersion): Omit<GrafanaAnnotation, 'annotation'> {
    const created = Date.parse(m.createdAt ?? '');
    const updated = Date.parse(m.updatedAt ?? '');
    const parts = [
      `k=${m.k}`,
      `silhouette=${m.silhouette.toFixed(3)}`,
      m.ariPrevious === null ? 'first model' : `ARI vs previous=${m.ariPrevious.toFixed(3)}`,
      `${m.customers} customers`,
      `trigger ${m.trigger}`,
    ];
    if (m.error) parts.push(`error: ${m.error}`);
    return {
      time: created,
      ...(Number.isFinite(updated) && updated > created ? { timeEnd: updated } : {}),
      title: `Refit v${m.version} (${m.status})`,
      text: parts.join(' · '),
      tags: ['refit', m.status, m.trigger],
    };
  }

  /** Ad-hoc filters `segment != X` / `segment = X` (by name). */
  private excludedSegments(q: GrafanaQuery): (name: string) => boolean {
    const filters = (q.adhocFilters ?? []).filter((f) => f.key === 'segment');
    return (name) =>
      filters.some((f) => (f.operator === '=' && f.value !== name) || (f.operator === '!=' && f.value === name));
  }

  /** `payload.attribution` of revenue_by_segment: 'at-time' (default) or 'current'. */
  private attribution(t: GrafanaTarget & { index: number }): RevenueAttribution {
    const raw = t.payload?.attribution;
    if (raw === undefined || raw === null || raw === '') return 'at-time';
    if (typeof raw === 'string' && Object.prototype.hasOwnProperty.call(ATTRIBUTIONS, raw)) return raw as RevenueAttribution;
    throw new ValidationFailed([
      { field: `targets.${t.index}.payload.attribution`, message: `must be one of ${Object.keys(ATTRIBUTIONS).join(', ')}` },
    ]);
  }

  private selectedSegments(t: GrafanaTarget): Set<number> | null {
    const raw = t.payload?.segments;
    if (raw === undefined || raw === null || raw === '') return null;
    const list = (Array.isArray(raw) ? raw : String(raw).split(',')).map((v) => Number(v));
    return new Set(list.filter((n) => Number.isInteger(n)));
  }

  private async run(
    name: GrafanaTargetName,
    t: GrafanaTarget & { index: number },
    from: number,
    to: number,
    bucketing: Bucketing,
    excluded: (name: string) => boolean,
    memo: Map<string, Promise<unknown>>,
  ): Promise<Result[]> {
    /** One query per kind per request (entered and exited share theirs). */
    const once = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      if (!memo.has(key)) memo.set(key, load());
      return memo.get(key) as Promise<T>;
    };
    const selected = this.selectedSegments(t);
    const keep = (s: { segmentId: number; name: string }) => (!selected || selected.has(s.segmentId)) && !excluded(s.name);
    switch (name) {
      case 'segment_sizes': {
        const series = await this.segments.sizesOverTime(from, to, bucketing);
        return series.filter(keep).map((s) => ({ target: s.name, datapoints: s.points.map(([ts, v]): [number, number] => [v, ts]) }));
      }
      case 'insiders_count': {
        const points = await this.segments.insidersOverTime(from, to, bucketing);
        return [{ target: 'Insiders', datapoints: points.map(([ts, v]): [number, number] => [v, ts]) }];
      }
      case 'insiders_entered':
      case 'insiders_exited': {
        const counts = new Map(
          (await once('transitions', () => this.memberships.transitionCounts(from, to, bucketing))).map((c) => [c.t, c]),
        );
        const field = name === 'insiders_entered' ? 'entered' : 'exited';
        return [
          {
            target: name === 'insiders_entered' ? 'Insiders entered' : 'Insiders exited',
            datapoints: bucketStarts(from, to, bucketing).map((ts): [number, number] => [counts.get(ts)?.[field] ?? 0, ts]),
          },
        ];
      }
      case 'revenue_by_segment': {
        // Revenue is stored per day: buckets are at least a day long.
        const daily: Bucketing =
          bucketing.unit === 'seconds' && bucketing.seconds < 86_400 ? { unit: 'seconds', seconds: 86_400 } : bucketing;
        const attribution = this.attribution(t);
        const [rows, names] = await Promise.all([this.features.revenueBySegment(from, to, daily, attribution), this.segments.names()]);
        const starts = bucketStarts(from, to, daily);
        const bySegment = new Map<number, Map<number, number>>();
        for (const r of rows) {
          if (!bySegment.has(r.segmentId)) bySegment.set(r.segmentId, new Map());
          bySegment.get(r.segmentId)!.set(r.t, r.revenue);
        }
        const nameOf = new Map<number, string>([...names.map((n): [number, string] => [n.segmentId, n.name]), [NOT_SEGMENTED, 'Not segmented']]);
        return [...bySegment.entries()]
          .sort(([a], [b]) => a - b)
          .map(([segmentId, m]) => ({ segmentId, name: nameOf.get(segmentId) ?? `segment ${segmentId}`, m }))
          .filter(keep)
          .map(({ name: target, m }) => ({
            target,
            datapoints: starts.map((ts): [number, number] => [Math.round((m.get(ts) ?? 0) * 100) / 100, ts]),
          }));
      }
      case 'segment_profiles': {
        const { segments } = await this.segments.list();
        return [
          {
            type: 'table',
            columns: [
              { text: 'Segment', type: 'string' },
              { text: 'Insiders', type: 'string' },
              { text: 'Size', type: 'number' },
              { text: 'Share', type: 'number' },
              { text: 'Revenue share', type: 'number' },
              { text: 'Mean revenue', type: 'number' },
              { text: 'Median revenue', type: 'number' },
              { text: 'Mean recency (days)', type: 'number' },
              { text: 'Mean frequency', type: 'number' },
              { text: 'Mean returns', type: 'number' },
              { text: 'Mean invoices', type: 'number' },
              { text: 'Mean items', type: 'number' },
            ],
            rows: segments
              .filter(keep)
              .map((s) => [
                s.name,
                s.isInsiders ? 'yes' : 'no',
                s.size,
                s.share,
                s.revenueShare,
                s.meanRevenue,
                s.medianRevenue,
                s.meanRecency,
                s.meanFrequency,
                s.meanReturns,
                s.meanInvoices,
                s.meanItems,
              ]),
          },
        ];
      }
      case 'model_versions': {
        const { items } = await this.models.list(500, 0);
        return [
          {
            type: 'table',
            columns: [
              { text: 'Time', type: 'time' },
              { text: 'Version', type: 'number' },
              { text: 'Status', type: 'string' },
              { text: 'Trigger', type: 'string' },
              { text: 'k', type: 'number' },
              { text: 'Silhouette', type: 'number' },
              { text: 'ARI vs previous', type: 'number' },
              { text: 'Customers', type: 'number' },
            ],
            rows: items.map((m) => [Date.parse(m.createdAt ?? ''), m.version, m.status, m.trigger, m.k, m.silhouette, m.ariPrevious, m.customers]),
          },
        ];
      }
      case 'refits': {
        const models = await this.models.createdBetween(from, to);
        return [
          {
            type: 'table',
            columns: [
              { text: 'time', type: 'time' },
              { text: 'timeEnd', type: 'time' },
              { text: 'title', type: 'string' },
              { text: 'text', type: 'string' },
              { text: 'tags', type: 'string' },
            ],
            rows: models.map((m) => {
              const a = this.refitAnnotation(m);
              return [a.time, a.timeEnd ?? a.time, a.title, a.text, a.tags.join(',')];
            }),
          },
        ];
      }
    }
  }
}
