import { Global, Module, type DynamicModule } from '@nestjs/common';
import { CUSTOMER_EXPLAINER, type CustomerExplainer } from '@insiders/api-contracts';
import { BusModule, type EventBus } from '@insiders/messaging';
import { ObservabilityModule } from '@insiders/observability';
import { StorageModule } from '@insiders/storage';
import { ApiModule } from '../../api/src/api.module';
import type { ApiConfig } from '../../api/src/api.config';
import { ClustererModule, ClustererService, CustomerNotFoundError, ExplainCustomerUseCase, type ClustererConfig } from '../../clusterer/src';
import { FEATURES_SERVICE, FeaturesModule, type FeaturesConfig, type FeaturesService } from '../../features/src';
import { IngestModule, type IngestConfig } from '../../ingest/src';
import type { StandaloneConfig } from './standalone.config';

/** The subscription that wakes the clusterer when the features consumer committed changed customers. */
const FEATURE_CHANGES_TO_CLUSTERER = Symbol('FEATURE_CHANGES_TO_CLUSTERER');

export interface StandaloneConfigs {
  standalone: StandaloneConfig;
  ingest: IngestConfig;
  features: FeaturesConfig;
  clusterer: ClustererConfig;
  api: ApiConfig;
}

/**
 * The composition root of the embedded default — the one place that imports the four apps. It gives them one
 * ClickHouse client (chDB owns one data directory per process), one event bus and one metrics registry, and
 * makes the ports the API calls (refit, replay, explanation) visible to it.
 */
export function standaloneModule(configs: StandaloneConfigs, bus: EventBus): DynamicModule {
  const ingest = IngestModule.register(configs.ingest);
  const features = FeaturesModule.forRoot(configs.features);
  const clusterer = ClustererModule.register(configs.clusterer);

  @Global()
  @Module({
    imports: [ingest, features, clusterer],
    providers: [
      {
        // in one process the clusterer needs not wait for its next poll: the features writer tells it at once
        provide: FEATURE_CHANGES_TO_CLUSTERER,
        inject: [FEATURES_SERVICE, ClustererService],
        useFactory: (features: FeaturesService, clusterer: ClustererService) => features.onFeaturesChanged((change) => clusterer.wake(change)),
      },
      {
        provide: CUSTOMER_EXPLAINER,
        inject: [ExplainCustomerUseCase],
        useFactory: (explain: ExplainCustomerUseCase): CustomerExplainer => ({
          explain: async (customerId) => {
            try {
              return { ...(await explain.execute(customerId)) };
            } catch (error) {
              if (error instanceof CustomerNotFoundError) return null;
              throw error;
            }
          },
        }),
      },
    ],
    exports: [ingest, features, clusterer, CUSTOMER_EXPLAINER],
  })
  class EmbeddedAppsModule {}

  @Module({})
  class StandaloneModule {}

  const { standalone } = configs;
  return {
    module: StandaloneModule,
    imports: [
      ObservabilityModule.forRoot({ service: 'insiders' }),
      StorageModule.forRoot({
        url: standalone.CLICKHOUSE_URL,
        user: standalone.CLICKHOUSE_USER,
        password: standalone.CLICKHOUSE_PASSWORD,
        database: standalone.CLICKHOUSE_DATABASE,
        chdbPath: standalone.CHDB_PATH,
      }),
      BusModule.forFactory(() => bus),
      EmbeddedAppsModule,
      ApiModule.forRoot({ config: configs.api }),
    ],
  };
}
