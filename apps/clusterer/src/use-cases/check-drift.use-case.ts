import { Inject, Injectable } from '@nestjs/common';
import { policyPreset } from '@insiders/features-core';
import { driftReport, type DriftReport } from '@insiders/segments';
import { ClustererRepository } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { prepareFeatures } from '../model/feature-matrix';
import { ActiveModelCache } from '../model/active-model.cache';

/** Drift of the current feature distribution against the active model's fit-time baselines (PSI per feature). */
@Injectable()
export class CheckDriftUseCase {
  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
  ) {}

  async execute(): Promise<DriftReport | null> {
    const model = await this.cache.get();
    if (!model) return null;
    const features = await this.repository.readFeatures(policyPreset(this.config.FEATURE_POLICY));
    const prepared = prepareFeatures(features, model.bundle.featureSet);
    return driftReport(model.bundle.baselines, prepared.columns);
  }
}
