import { BadRequestException, Inject, Injectable, PayloadTooLargeException, ServiceUnavailableException } from '@nestjs/common';
import { INGEST_CONFIG, IngestConfig } from '../ingest.config';
import { IngestRow, InvoiceLinePublisher, RowError } from '../publisher/invoice-line.publisher';

export interface BatchAccepted {
  accepted: number;
  deadLettered: number;
  errors: RowError[];
}

const SOURCE = 'http';

/**
 * `POST /v1/invoice-lines`: turns a JSON array or an NDJSON text into rows (numbered from 1), validates them all,
 * and either rejects the batch (400 `{ errors: [{ row, field, reason }] }`, nothing published) or — when every row is
 * good, or the caller asked for `partial` — publishes the good rows and dead-letters the bad ones (202).
 */
@Injectable()
export class InvoiceLinesService {
  constructor(
    private readonly publisher: InvoiceLinePublisher,
    @Inject(INGEST_CONFIG) private readonly config: Pick<IngestConfig, 'INGEST_MAX_BATCH_ROWS'>,
  ) {}

  async ingestBatch(body: unknown, options: { partial: boolean }): Promise<BatchAccepted> {
    const rows = this.rowsOf(body);
    const checked = this.publisher.check(rows, SOURCE);
    const { errors } = checked;
    if (errors.length > 0 && !options.partial) {
      throw new BadRequestException({
        statusCode: 400,
        message: `${errors.length} of ${rows.length} rows are invalid; nothing was accepted (add ?partial=true to accept the valid rows)`,
        errors,
      });
    }
    try {
      const result = await this.publisher.publishRows(rows, SOURCE, checked);
      return { accepted: result.accepted, deadLettered: result.deadLettered, errors: result.errors };
    } catch (e) {
      throw new ServiceUnavailableException({ statusCode: 503, message: `event bus unavailable: ${(e as Error).message}` });
    }
  }

  private rowsOf(body: unknown): IngestRow[] {
    if (typeof body === 'string') return this.ndjsonRows(body);
    if (!Array.isArray(body)) {
      throw new BadRequestException({
        statusCode: 400,
        message: 'expected a JSON array of invoice lines (application/json) or one per line (application/x-ndjson)',
        errors: [{ row: null, field: null, reason: 'body is not a JSON array' }],
      });
    }
    this.checkCount(body.length);
    return body.map((value, i) => ({ row: i + 1, value, payload: JSON.stringify(value) ?? 'undefined' }));
  }

  private ndjsonRows(text: string): IngestRow[] {
    const lines = text.split('\n');
    let count = 0;
    for (const line of lines) if (line.trim().length > 0) count++;
    this.checkCount(count); // before parsing anything
    const rows: IngestRow[] = [];
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].endsWith('\r') ? lines[i].slice(0, -1) : lines[i];
      if (line.trim().length === 0) continue; // blank lines separate nothing in NDJSON
      try {
        rows.push({ row: i + 1, value: JSON.parse(line), payload: line });
      } catch (e) {
        rows.push({ row: i + 1, payload: line, parseError: `invalid JSON: ${(e as Error).message}` });
      }
    }
    return rows;
  }

  private checkCount(count: number): void {
    if (count === 0) {
      throw new BadRequestException({ statusCode: 400, message: 'empty batch', errors: [{ row: null, field: null, reason: 'the batch has no rows' }] });
    }
    if (count > this.config.INGEST_MAX_BATCH_ROWS) {
      throw new PayloadTooLargeException({
        statusCode: 413,
        message: `the batch has ${count} rows, the limit is ${this.config.INGEST_MAX_BATCH_ROWS}`,
        errors: [{ row: null, field: null, reason: `at most ${this.config.INGEST_MAX_BATCH_ROWS} rows per batch` }],
      });
    }
  }
}
