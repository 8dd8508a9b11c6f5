import { Inject, Injectable, Logger, NotFoundException, Optional } from '@nestjs/common';
import { CUSTOMER_EXPLAINER, type CustomerExplainer } from '@insiders/api-contracts';
import type { CustomerFeatures } from '@insiders/features-core';
import type { Explanation } from '@insiders/segments';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { TtlCache } from '../common/ttl-cache';
import { SegmentsService } from '../segments/segments.service';
import { CustomerReadModel, type CustomerEntry } from './customer-read-model';
import { ExplanationService } from './explanation.service';
import { FeaturesRepository, type PopulationStats } from './features.repository';
import { MembershipsRepository, type Membership, type MembershipChange, type RfmScore } from './memberships.repository';

export interface CustomerView {
  customerId: string;
  /** The customer's features (features service, configured cleaning policy); null if it has none (yet). */
  features: CustomerFeatures | null;
  segment: { id: number; name: string; isInsiders: boolean } | null;
  membership: Membership | null;
  insider: boolean;
  explanation: Explanation | null;
  rfm: RfmScore | null;
}

/**
 * Customer lookups: from the in-memory read model when it is built, else from SQL (TTL cache). Both paths build
 * the same view from the same parts.
 */
@Injectable()
export class CustomersService {
  private readonly cache: TtlCache<CustomerView | null>;
  private readonly populationCache = new TtlCache<PopulationStats>(60_000, 1);
  /** Views built from the read model, valid for its generation (a rebuild or a move of the customer drops them). */
  private readonly views = new Map<string, { generation: number; view: Promise<CustomerView | null> }>();

  constructor(
    private readonly memberships: MembershipsRepository,
    private readonly features: FeaturesRepository,
    private readonly segments: SegmentsService,
    private readonly explanations: ExplanationService,
    private readonly readModel: CustomerReadModel,
    @Inject(API_CONFIG) config: ApiConfig,
    @Optional() @Inject(CUSTOMER_EXPLAINER) private readonly explainer?: CustomerExplainer,
  ) {
    this.cache = new TtlCache(config.CACHE_TTL_MS, config.CACHE_MAX_ENTRIES);
    this.maxViews = config.CACHE_MAX_ENTRIES;
    readModel.onMove = (customerId) => this.views.delete(customerId);
  }

  private readonly maxViews: number;

  async get(customerId: string): Promise<CustomerView> {
    // A customer newer than the last rebuild is not in the read model yet: ask SQL.
    const view =
      (this.readModel.ready ? await this.fromReadModel(customerId) : null) ??
      (await this.cache.get(customerId, () => this.fromSql(customerId)));
    if (!view) throw new NotFoundException(`customer ${customerId} not found`);
    return view;
  }

  /**
   * The full explanation: the clusterer's (nearest neighbours from the model) when CUSTOMER_EXPLAINER is bound,
   * else the API's own from the stored profiles. `source` says which.
   */
  async explanation(customerId: string): Promise<{ customerId: string; source: 'clusterer' | 'api'; explanation: unknown }> {
    if (this.explainer) {
      try {
        const full = await this.explainer.explain(customerId);
        if (full) return { customerId, source: 'clusterer', explanation: full };
      } catch (error) {
        this.logger.warn(`clusterer explanation of ${customerId} failed, using the API's: ${(error as Error).message}`);
      }
    }
    const view = await this.get(customerId);
    if (!view.explanation) throw new NotFoundException(`customer ${customerId} has no segment or no features to explain`);
    return { customerId, source: 'api', explanation: view.explanation };
  }

  private readonly logger = new Logger('CustomersService');

  async history(customerId: string, limit: number, offset: number): Promise<{ customerId: string; total: number; limit: number; offset: number; items: MembershipChange[] }> {
    const page = await this.memberships.history(customerId, limit, offset);
    if (page.total === 0 && !(await this.memberships.current(customerId))) {
      throw new NotFoundException(`customer ${customerId} has no membership history`);
    }
    return { customerId, total: page.total, limit, offset, items: page.items };
  }

  private fromReadModel(customerId: string): Promise<CustomerView | null> {
    const generation = this.readModel.generation;
    const cached = this.views.get(customerId);
    if (cached && cached.generation === generation) return cached.view;
    const entry = this.readModel.get(customerId);
    if (!entry) return Promise.resolve(null);
    const view = this.viewOf(customerId, entry, async () => this.readModel.populationStats() ?? this.features.population());
    if (this.views.size >= this.maxViews) this.views.clear();
    this.views.set(customerId, { generation, view });
    view.catch(() => this.views.delete(customerId));
    return view;
  }

  private async fromSql(customerId: string): Promise<CustomerView | null> {
    const [membership, features, rfm, lastChanges] = await Promise.all([
      this.memberships.current(customerId),
      this.features.forCustomer(customerId),
      this.memberships.rfm(customerId),
      this.memberships.history(customerId, 1, 0),
    ]);
    const last = lastChanges.items[0];
    const entry: CustomerEntry = { membership, features, rfm, lastMove: last ? { fromSegment: last.fromSegment, toSegment: last.toSegment } : null };
    return this.viewOf(customerId, entry, () => this.populationCache.get('population', () => this.features.population()));
  }

  private async viewOf(customerId: string, entry: CustomerEntry, population: () => Promise<PopulationStats>): Promise<CustomerView | null> {
    const { membership, features, rfm, lastMove } = entry;
    if (!membership && !features) return null;
    let segment: CustomerView['segment'] = null;
    let explanation: Explanation | null = null;
    if (membership) {
      const [profiles, model] = await Promise.all([this.segments.profilesOf(membership.modelVersion), this.segments.activeModel()]);
      const own = profiles.find((p) => p.segmentId === membership.segmentId);
      const named = own ?? (await this.segments.names()).find((n) => n.segmentId === membership.segmentId);
      segment = { id: membership.segmentId, name: named?.name ?? `segment ${membership.segmentId}`, isInsiders: named?.isInsiders ?? false };
      if (features) {
        explanation = this.explanations.explain({
          features,
          segmentId: membership.segmentId,
          isInsider: membership.isInsider,
          profiles,
          population: await population(),
          model: model && model.version === membership.modelVersion ? model : null,
          previousSegmentId: lastMove && lastMove.toSegment === membership.segmentId ? lastMove.fromSegment : null,
        });
      }
    }
    return { customerId, features, segment, membership, insider: membership?.isInsider ?? false, explanation, rfm };
  }
}
