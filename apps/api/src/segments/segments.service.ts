import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { assertBucketCount, bucketStarts, type Bucketing } from '../common/buckets';
import { TtlCache } from '../common/ttl-cache';
import { ModelsRepository, type ModelVersion } from '../models/models.repository';
import { SegmentsRepository, type SegmentProfile } from './segments.repository';

export interface SegmentSeries {
  segmentId: number;
  name: string;
  isInsiders: boolean;
  /** [bucket start (ms), value] in time order, one point per bucket. */
  points: [number, number][];
}

/** Segment profiles of the active model and segment sizes over time. */
@Injectable()
export class SegmentsService {
  private readonly activeCache: TtlCache<ModelVersion | null>;
  /** Profiles of a model version never change once written; keep the last few. */
  private readonly profileCache = new TtlCache<SegmentProfile[]>(60_000, 16);
  private readonly namesCache: TtlCache<{ segmentId: number; name: string; isInsiders: boolean }[]>;

  constructor(
    private readonly segments: SegmentsRepository,
    private readonly models: ModelsRepository,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.activeCache = new TtlCache(config.CACHE_TTL_MS, 1);
    this.namesCache = new TtlCache(config.CACHE_TTL_MS, 1);
  }

  activeModel(): Promise<ModelVersion | null> {
    return this.activeCache.get('active', () => this.models.active());
  }

  profilesOf(modelVersion: number): Promise<SegmentProfile[]> {
    return this.profileCache.get(String(modelVersion), () => this.segments.profiles(modelVersion));
  }

  names(): Promise<{ segmentId: number; name: string; isInsiders: boolean }[]> {
    return this.namesCache.get('names', () => this.segments.names());
  }

  async list(): Promise<{ model: ModelVersion | null; segments: SegmentProfile[] }> {
    const model = await this.activeModel();
    return { model, segments: model ? await this.profilesOf(model.version) : [] };
  }

  async get(segmentId: number): Promise<SegmentProfile> {
    const { segments } = await this.list();
    const found = segments.find((s) => s.segmentId === segmentId);
    if (!found) throw new NotFoundException(`segment ${segmentId} is not in the active model`);
    return found;
  }

  /** Size of every segment at the end of each bucket of [from, to) (sizes carry forward through quiet buckets). */
  async sizesOverTime(fromMs: number, toMs: number, bucketing: Bucketing): Promise<SegmentSeries[]> {
    assertBucketCount(fromMs, toMs, bucketing);
    const [deltas, names] = await Promise.all([this.segments.sizeDeltas(fromMs, toMs, bucketing), this.names()]);
    const starts = bucketStarts(fromMs, toMs, bucketing);
    const bySegment = new Map<number, Map<number, number>>();
    for (const d of deltas) {
      let m = bySegment.get(d.segmentId);
      if (!m) bySegment.set(d.segmentId, (m = new Map()));
      m.set(d.t, (m.get(d.t) ?? 0) + d.delta);
    }
    const nameOf = new Map(names.map((n) => [n.segmentId, n]));
    return [...bySegment.entries()]
      .sort(([a], [b]) => a - b)
      .map(([segmentId, m]) => {
        let size = 0;
        const points = starts.map((t): [number, number] => [t, (size += m.get(t) ?? 0)]);
        const meta = nameOf.get(segmentId);
        return { segmentId, name: meta?.name ?? `segment ${segmentId}`, isInsiders: meta?.isInsiders ?? false, points };
      });
  }

  /** Number of Insiders at the end of each bucket. */
  async insidersOverTime(fromMs: number, toMs: number, bucketing: Bucketing): Promise<[number, number][]> {
    assertBucketCount(fromMs, toMs, bucketing);
    const deltas = await this.segments.insiderDeltas(fromMs, toMs, bucketing);
    const m = new Map(deltas.map((d) => [d.t, d.delta]));
    let size = 0;
    return bucketStarts(fromMs, toMs, bucketing).map((t): [number, number] => [t, (size += m.get(t) ?? 0)]);
  }
}
