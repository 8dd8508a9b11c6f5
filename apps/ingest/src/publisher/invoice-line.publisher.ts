import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { deadLetter, InvoiceLineEvent, validateInvoiceLine } from '@insiders/events';
import { EVENT_BUS, EventBus, Topics, topicsFor } from '@insiders/messaging';
import { INGEST_CONFIG, IngestConfig } from '../ingest.config';
import { PublishCounts, PublishStream } from './publish.stream';

/** One input row: the parsed value (or the reason it could not be parsed) and its original text. */
export interface IngestRow {
  /** 1-based position in the input (batch row or file data line). */
  row: number;
  /** Original text, kept verbatim in the dead-letter record. */
  payload: string;
  value?: unknown;
  /** Set when the row could not even be parsed (bad JSON / CSV): it is rejected with this reason. */
  parseError?: string;
}

export interface RowError {
  row: number;
  field: string | null;
  reason: string;
}

export interface CheckedRows {
  events: InvoiceLineEvent[];
  errors: RowError[];
}

/**
 * The one producer of invoice-line events, shared by the HTTP endpoint and the CSV replay: validates, publishes
 * good events to `<prefix>.invoice-lines.v1` keyed by customer (`invoiceLineKey`), sends bad input to
 * `<prefix>.invoice-lines.dlq` with its reason and original text, and counts both. Publishes in chunks with a
 * bounded number of unacknowledged publish calls (see `PublishStream`). Works on any `EventBus` (Kafka or memory).
 */
@Injectable()
export class InvoiceLinePublisher implements OnModuleInit {
  private readonly logger = new Logger(InvoiceLinePublisher.name);
  readonly topics: Topics;
  private readonly totals: PublishCounts = { accepted: 0, deadLettered: 0 };

  constructor(
    @Inject(EVENT_BUS) private readonly bus: EventBus,
    @Inject(INGEST_CONFIG) private readonly config: Pick<IngestConfig, 'TOPIC_PREFIX' | 'INGEST_PUBLISH_CHUNK' | 'INGEST_PUBLISH_IN_FLIGHT' | 'INVOICE_LINES_PARTITIONS'>,
  ) {
    this.topics = topicsFor(config.TOPIC_PREFIX);
  }

  async onModuleInit(): Promise<void> {
    await this.ensureTopics();
  }

  async ensureTopics(): Promise<void> {
    await this.bus.ensureTopics([
      { topic: this.topics.invoiceLines, partitions: this.config.INVOICE_LINES_PARTITIONS },
      { topic: this.topics.invoiceLinesDeadLetter, partitions: 1 },
    ]);
  }

  /** Everything acknowledged by the bus since start (both producers). */
  stats(): PublishCounts {
    return { ...this.totals };
  }

  /** A stream for producers with many rows (replay): add events and dead letters, `await ready()` between batches. */
  openStream(options: { chunkSize?: number; maxInFlight?: number; onAcknowledged?: (kind: 'accepted' | 'deadLettered', count: number) => void } = {}): PublishStream {
    return new PublishStream(this.bus, this.topics, {
      chunkSize: options.chunkSize ?? this.config.INGEST_PUBLISH_CHUNK,
      maxInFlight: options.maxInFlight ?? this.config.INGEST_PUBLISH_IN_FLIGHT,
      onAcknowledged: (kind, count) => {
        this.totals[kind] += count;
        options.onAcknowledged?.(kind, count);
      },
    });
  }

  /** Validates rows without publishing anything. Events without a `source` get `source`. */
  check(rows: readonly IngestRow[], source: string): CheckedRows {
    const events: InvoiceLineEvent[] = [];
    const errors: RowError[] = [];
    for (const r of rows) {
      if (r.parseError !== undefined) {
        errors.push({ row: r.row, field: null, reason: r.parseError });
        continue;
      }
      const result = validateInvoiceLine(r.value);
      if (result.ok) {
        result.event.source ??= source;
        events.push(result.event);
      } else {
        errors.push({ row: r.row, field: result.field, reason: result.reason });
      }
    }
    return { events, errors };
  }

  /**
   * Validates and publishes: good rows as events, bad rows to the dead-letter topic. Resolves once the bus
   * acknowledged all of them; `accepted + deadLettered === rows.length`. `checked`: the result of `check(rows)`
   * when the caller already has it.
   */
  async publishRows(rows: readonly IngestRow[], source: string, checked?: CheckedRows): Promise<PublishCounts & { errors: RowError[] }> {
    const { events, errors } = checked ?? this.check(rows, source);
    const byRow = new Map(rows.map((r) => [r.row, r]));
    const stream = this.openStream();
    for (const event of events) stream.add(event);
    for (const error of errors) {
      stream.addDeadLetter(deadLetter({ reason: error.reason, field: error.field, source, line: error.row, payload: byRow.get(error.row)?.payload ?? '' }));
    }
    const counts = await stream.close();
    if (errors.length > 0) this.logger.warn(`${source}: dead-lettered ${errors.length} of ${rows.length} rows`);
    return { ...counts, errors };
  }

  /** Publishes already validated events (e.g. from a CSV reader), chunked, waiting for acknowledgement. */
  async publishEvents(events: readonly InvoiceLineEvent[]): Promise<number> {
    const stream = this.openStream();
    for (let i = 0; i < events.length; i++) {
      stream.add(events[i]);
      if (i % this.config.INGEST_PUBLISH_CHUNK === 0) await stream.ready();
    }
    return (await stream.close()).accepted;
  }
}
