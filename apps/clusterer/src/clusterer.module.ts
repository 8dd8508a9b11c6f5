import { Module, type DynamicModule } from '@nestjs/common';
import { REFIT_TRIGGER } from '@insiders/api-contracts';
import type { ClustererConfig } from './clusterer.config';
import { ClustererRepository } from './clusterer.repository';
import { ClustererService } from './clusterer.service';
import { CLUSTERER_CONFIG } from './clusterer.tokens';
import { ActiveModelCache } from './model/active-model.cache';
import { FeedCursor } from './domain/feed-cursor';
import { MembershipWriteLock } from './domain/membership-write.lock';
import { SegmentChangePublisher } from './segment-change.publisher';
import { ApplyModelUseCase } from './use-cases/apply-model.use-case';
import { AssignChangedCustomersUseCase } from './use-cases/assign-changed.use-case';
import { BackfillHistoryUseCase } from './use-cases/backfill.use-case';
import { CheckDriftUseCase } from './use-cases/check-drift.use-case';
import { ExplainCustomerUseCase } from './use-cases/explain-customer.use-case';
import { RecoverUseCase } from './use-cases/recover.use-case';
import { RefitUseCase } from './use-cases/refit.use-case';

/**
 * The clusterer as a module. It needs the process-wide `CLICKHOUSE` client (StorageModule, migrated) and `EVENT_BUS`
 * (BusModule) from the composition root: the embedded root passes its shared bus; the standalone `main.ts` builds
 * a Kafka bus. Exports the service, the API's `REFIT_TRIGGER` port and the explain / backfill use cases.
 */
@Module({})
export class ClustererModule {
  static register(config: ClustererConfig): DynamicModule {
    return {
      module: ClustererModule,
      providers: [
        { provide: CLUSTERER_CONFIG, useValue: config },
        ClustererRepository,
        SegmentChangePublisher,
        ActiveModelCache,
        MembershipWriteLock,
        FeedCursor,
        ApplyModelUseCase,
        RefitUseCase,
        RecoverUseCase,
        AssignChangedCustomersUseCase,
        BackfillHistoryUseCase,
        CheckDriftUseCase,
        ExplainCustomerUseCase,
        ClustererService,
        { provide: REFIT_TRIGGER, useExisting: ClustererService },
      ],
      exports: [ClustererService, REFIT_TRIGGER, ExplainCustomerUseCase, BackfillHistoryUseCase, CheckDriftUseCase],
    };
  }
}
