import { Inject, Injectable } from '@nestjs/common';
import { policyPreset } from '@insiders/features-core';
import { explainCustomer, type Explanation } from '@insiders/segments';
import { ClustererRepository } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { prepareFeatures } from '../model/feature-matrix';
import { decodeInt32 } from '../model/model-bundle';
import { ActiveModelCache } from '../model/active-model.cache';
import { assignWithModel } from '../domain/assign';

export class CustomerNotFoundError extends Error {
  constructor(readonly customerId: string) {
    super(`customer ${customerId} has no features`);
    this.name = 'CustomerNotFoundError';
  }
}

/**
 * Why a customer is (or is not) an Insider under the active model: their facts against the segment's and the
 * Insiders' profiles, the eligibility guards, the fitted neighbours that voted, and — when the last recorded move
 * brought them from another segment — the facts that pulled them over.
 */
@Injectable()
export class ExplainCustomerUseCase {
  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
  ) {}

  async execute(customerId: string): Promise<Explanation & { modelVersion: number }> {
    const model = await this.cache.get();
    if (!model) throw new Error('no active model');
    const [features] = await this.repository.readFeatures(policyPreset(this.config.FEATURE_POLICY), { customerIds: [customerId] });
    if (!features) throw new CustomerNotFoundError(customerId);
    const prepared = prepareFeatures([features], model.bundle.featureSet);
    // The stored membership is the truth (a fitted customer keeps its fitted cluster); the model's vote gives the
    // neighbours, and the membership when none is stored yet.
    const [voted] = assignWithModel(model.bundle, model.handle, prepared);
    const stored = (await this.repository.currentMemberships([customerId])).get(customerId);
    const assigned = stored && stored.modelVersion === model.row.version ? { segmentId: stored.segmentId, isInsider: stored.isInsider } : voted!;
    const a = model.handle.assign(prepared.matrix);
    const trainingSegments = decodeInt32(model.bundle.trainingSegments);
    const neighbours = Array.from({ length: a.neighbours.k }, (_, r) => a.neighbours.indices[r]!)
      .map((j, r) => ({ j, d: a.neighbours.distances[r]! }))
      .filter(({ j }) => j >= 0)
      .map(({ j, d }) => ({ customerId: model.bundle.trainingCustomerIds[j]!, segmentId: trainingSegments[j]!, distance: d }));
    const byId = new Map(model.bundle.segments.map((s) => [s.id, s]));
    const segment = byId.get(assigned.segmentId)!;
    const move = await this.repository.lastMove(customerId);
    const previousSegment = move && move.from_segment !== null && move.to_segment === segment.id ? byId.get(Number(move.from_segment)) : undefined;
    const explanation = explainCustomer({
      customer: prepared.facts[0]!,
      segment,
      insiders: model.bundle.segments.filter((s) => s.isInsiders),
      population: model.bundle.population,
      rule: model.bundle.insidersRule,
      isInsider: assigned.isInsider,
      neighbours,
      previous: previousSegment ? { segment: previousSegment } : undefined,
    });
    return { ...explanation, modelVersion: model.row.version };
  }
}
