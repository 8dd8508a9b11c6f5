import { Module, type DynamicModule } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { policyPreset, type QuarantineBounds } from '@insiders/features-core';
import { HEALTH, HealthChecks, METRICS, MetricsRegistry } from '@insiders/observability';
import { CLICKHOUSE } from '@insiders/storage';
import { loadFeaturesConfig, type FeaturesConfig } from './features.config';
import { FeaturesRepository } from './features.repository';
import { FeaturesService } from './features.service';
import { FEATURES_CONFIG, FEATURES_PROCESSOR, FEATURES_REPOSITORY, FEATURES_SERVICE } from './features.tokens';
import { InvoiceLinesConsumer } from './invoice-lines.consumer';
import { InvoiceLinesProcessor } from './invoice-lines.processor';

export function quarantineBounds(config: FeaturesConfig): QuarantineBounds {
  return {
    maxAbsQuantity: config.FEATURES_MAX_ABS_QUANTITY,
    minUnitPrice: config.FEATURES_MIN_UNIT_PRICE,
    maxUnitPrice: config.FEATURES_MAX_UNIT_PRICE,
    maxFutureMs: config.FEATURES_MAX_FUTURE_HOURS * 3_600_000,
    minEventTimeMs: Date.parse(config.FEATURES_MIN_EVENT_TIME),
  };
}

/**
 * The features service as a Nest module. Needs the process-wide `CLICKHOUSE` (StorageModule) and `EVENT_BUS`
 * (BusModule); uses `METRICS`/`HEALTH` (ObservabilityModule) when present. Exports `FEATURES_SERVICE`
 * (readFeatures, changedSince) for the clusterer and the API. Set FEATURES_CONSUME=false for a read-only instance.
 */
@Module({})
export class FeaturesModule {
  static forRoot(config: FeaturesConfig = loadFeaturesConfig()): DynamicModule {
    return {
      module: FeaturesModule,
      providers: [
        { provide: FEATURES_CONFIG, useValue: config },
        {
          provide: FEATURES_REPOSITORY,
          inject: [CLICKHOUSE, { token: HEALTH, optional: true }],
          useFactory: (client: ClickHouseClient, health?: HealthChecks) => {
            health?.register('clickhouse', async () => {
              const r = await client.ping();
              if (!r.success) throw r.error;
            });
            return new FeaturesRepository(client);
          },
        },
        {
          provide: FEATURES_SERVICE,
          inject: [FEATURES_REPOSITORY],
          useFactory: (repository: FeaturesRepository) =>
            new FeaturesService(repository, policyPreset(config.FEATURE_POLICY), config.FEATURE_POLICIES.map(policyPreset)),
        },
        {
          provide: FEATURES_PROCESSOR,
          inject: [FEATURES_REPOSITORY, FEATURES_SERVICE, { token: METRICS, optional: true }],
          useFactory: (repository: FeaturesRepository, service: FeaturesService, metrics?: MetricsRegistry) =>
            new InvoiceLinesProcessor(
              repository,
              service.maintainedPolicies,
              quarantineBounds(config),
              metrics ?? new MetricsRegistry({ service: 'features', defaultMetrics: false }),
              Date.now,
              config.FEATURES_MAX_ROUND_LINES,
            ),
        },
        InvoiceLinesConsumer,
      ],
      exports: [FEATURES_SERVICE, FEATURES_CONFIG],
    };
  }
}
