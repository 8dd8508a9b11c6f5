import { DynamicModule, Module } from '@nestjs/common';
import { REPLAY_TRIGGER } from '@insiders/api-contracts';
import { IngestStatusController } from './http/ingest-status.controller';
import { InvoiceLinesController } from './http/invoice-lines.controller';
import { InvoiceLinesService } from './http/invoice-lines.service';
import { NdjsonBodyParser } from './http/ndjson-body.parser';
import { INGEST_CONFIG, IngestConfig, loadIngestConfig } from './ingest.config';
import { InvoiceLinePublisher } from './publisher/invoice-line.publisher';
import { ReplayTriggerService } from './replay/replay.trigger';

/**
 * The ingest capability: `POST /v1/invoice-lines`, `GET /v1/ingest/status`, and the `InvoiceLinePublisher`
 * (also used by the replay).
 * The event bus is injected under `EVENT_BUS` from the process-wide `BusModule` (@insiders/messaging): the
 * standalone `main.ts` gives it a KafkaBus, the embedded composition root its shared bus — this module never
 * creates a bus itself.
 *
 *   imports: [BusModule.forBus(bus), IngestModule.register()]            // config from process.env
 *   imports: [BusModule.forBus(bus), IngestModule.register(config)]      // or a config of your own
 *
 * Exports the publisher and `REPLAY_TRIGGER` (the API's replay port, `ReplayTriggerService`).
 */
@Module({})
export class IngestModule {
  static register(config?: IngestConfig): DynamicModule {
    return {
      module: IngestModule,
      controllers: [InvoiceLinesController, IngestStatusController],
      providers: [
        { provide: INGEST_CONFIG, useFactory: () => config ?? loadIngestConfig() },
        InvoiceLinePublisher,
        InvoiceLinesService,
        NdjsonBodyParser,
        ReplayTriggerService,
        { provide: REPLAY_TRIGGER, useExisting: ReplayTriggerService },
      ],
      exports: [InvoiceLinePublisher, ReplayTriggerService, REPLAY_TRIGGER, INGEST_CONFIG],
    };
  }
}
