import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import type { CustomerFeatures } from '@insiders/features-core';
import type { Explanation } from '@insiders/segments';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { TtlCache } from '../common/ttl-cache';
import { SegmentsService } from '../segments/segments.service';
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

@Injectable()
export class CustomersService {
  private readonly cache: TtlCache<CustomerView | null>;
  private readonly populationCache = new TtlCache<PopulationStats>(60_000, 1);

  constructor(
    private readonly memberships: MembershipsRepository,
    private readonly features: FeaturesRepository,
    private readonly segments: SegmentsService,
    private readonly explanations: ExplanationService,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.cache = new TtlCache(config.CACHE_TTL_MS, config.CACHE_MAX_ENTRIES);
  }

  /** Drops a customer's cached view (a segment change arrived for them). */
  invalidate(customerId: string): void {
    this.cache.delete(customerId);
  }

  async get(customerId: string): Promise<CustomerView> {
    const view = await this.cache.get(customerId, () => this.load(customerId));
    if (!view) throw new NotFoundException(`customer ${customerId} not found`);
    return view;
  }

  async history(customerId: string, limit: number, offset: number): Promise<{ customerId: string; total: number; limit: number; offset: number; items: MembershipChange[] }> {
    const page = await this.memberships.history(customerId, limit, offset);
    if (page.total === 0 && !(await this.memberships.current(customerId))) {
      throw new NotFoundException(`customer ${customerId} has no membership history`);
    }
    return { customerId, total: page.total, limit, offset, items: page.items };
  }

  private async load(customerId: string): Promise<CustomerView | null> {
    const [membership, features, rfm, lastChanges] = await Promise.all([
      this.memberships.current(customerId),
      this.features.forCustomer(customerId),
      this.memberships.rfm(customerId),
      this.memberships.history(customerId, 1, 0),
    ]);
    if (!membership && !features) return null;
    let segment: CustomerView['segment'] = null;
    let explanation: Explanation | null = null;
    if (membership) {
      const [profiles, model] = await Promise.all([
        this.segments.profilesOf(membership.modelVersion),
        this.segments.activeModel(),
      ]);
      const own = profiles.find((p) => p.segmentId === membership.segmentId);
      const names = own ? [] : await this.segments.names();
      const named = own ?? names.find((n) => n.segmentId === membership.segmentId);
      segment = {
        id: membership.segmentId,
        name: named?.name ?? `segment ${membership.segmentId}`,
        isInsiders: own?.isInsiders ?? (named as { isInsiders?: boolean } | undefined)?.isInsiders ?? false,
      };
      if (features) {
        const population = await this.populationCache.get('population', () => this.features.population());
        const last = lastChanges.items[0];
        explanation = this.explanations.explain({
          features,
          segmentId: membership.segmentId,
          isInsider: membership.isInsider,
          profiles,
          population,
          model: model && model.version === membership.modelVersion ? model : null,
          previousSegmentId: last && last.toSegment === membership.segmentId ? last.fromSegment : null,
        });
      }
    }
    return {
      customerId,
      features,
      segment,
      membership,
      insider: membership?.isInsider ?? false,
      explanation,
      rfm,
    };
  }
}
