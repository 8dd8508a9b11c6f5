import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { EVENT_BUS, EventBus } from '@insiders/messaging';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { ReplayRun, ReplayTriggerService } from '../replay/replay.trigger';

export interface IngestStatus {
  bus: 'kafka' | 'memory';
  topics: { invoiceLines: string; deadLetter: string };
  /** Acknowledged by the bus since start (HTTP and replays). */
  accepted: number;
  deadLettered: number;
  replay: ReplayRun | null;
}

@ApiTags('ingest')
@Controller('v1/ingest')
export class IngestStatusController {
  constructor(
    private readonly publisher: InvoiceLinePublisher,
    private readonly replays: ReplayTriggerService,
    @Inject(EVENT_BUS) private readonly bus: EventBus,
  ) {}

  @Get('status')
  @ApiOperation({ summary: 'Counts since start, topics, the running or last replay; 503 when the bus is unreachable' })
  async status(): Promise<IngestStatus> {
    try {
      await this.bus.ping();
    } catch (e) {
      throw new ServiceUnavailableException({ statusCode: 503, message: `event bus unavailable: ${(e as Error).message}` });
    }
    return {
      bus: this.bus.kind,
      topics: { invoiceLines: this.publisher.topics.invoiceLines, deadLetter: this.publisher.topics.invoiceLinesDeadLetter },
      ...this.publisher.stats(),
      replay: this.replays.status() ?? null,
    };
  }
}
