import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { EVENT_BUS, topicsFor, type EventBus, type Subscription } from '@insiders/messaging';
import { FEATURES_CONFIG, FEATURES_PROCESSOR, FEATURES_REPOSITORY, FEATURES_SERVICE } from './features.tokens';
import type { FeaturesConfig } from './features.config';
import type { FeaturesRepository } from './features.repository';
import type { FeaturesService } from './features.service';
import type { InvoiceLinesProcessor } from './invoice-lines.processor';

/**
 * Start-up and the subscription: migrations, crash recovery (batches stored but not folded into states), state
 * rebuilds for new or changed policies, then the consumer group on the invoice-lines topic. The bus commits a
 * batch only after `process` resolves, i.e. after its rows and states are written.
 */
@Injectable()
export class InvoiceLinesConsumer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('InvoiceLinesConsumer');
  private subscription?: Subscription;

  constructor(
    @Inject(FEATURES_CONFIG) private readonly config: FeaturesConfig,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(FEATURES_REPOSITORY) private readonly repository: FeaturesRepository,
    @Inject(FEATURES_SERVICE) private readonly service: FeaturesService,
    @Inject(FEATURES_PROCESSOR) private readonly processor: InvoiceLinesProcessor,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.repository.migrate(this.config.CLICKHOUSE_DATABASE);
    const recovered = await this.processor.recover();
    if (recovered > 0) this.logger.warn(`recovered ${recovered} interrupted batch(es)`);
    await this.service.ensureStates();
    if (!this.config.FEATURES_CONSUME) return;
    const topic = topicsFor(this.config.TOPIC_PREFIX).invoiceLines;
    await this.bus.ensureTopics([{ topic }]);
    // Several partitions and several batches per partition at a time: the next fetch decodes while a round is
    // stored, and batches that arrive together are stored in one round (see the processor).
    const subscribe = {
      topic,
      groupId: this.config.FEATURES_GROUP_ID,
      fromBeginning: true,
      partitionsConcurrently: this.config.FEATURES_KAFKA_PARTITIONS_CONCURRENTLY,
      batchesInFlight: this.config.FEATURES_KAFKA_BATCHES_IN_FLIGHT,
    };
    this.subscription = await this.bus.subscribe(subscribe, async (batch) => {
      await this.processor.process(batch);
    });
    this.logger.log(`consuming ${topic} as group ${this.config.FEATURES_GROUP_ID}; policies ${this.service.maintainedPolicies.map((p) => p.name).join(', ')}`);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
  }
}
