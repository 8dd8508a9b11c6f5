import { CsvRow, deadLetter, encodeInvoiceLine, InvoiceCsvFormat, InvoiceCsvReader, invoiceLineKey } from '@insiders/events';
import { MessagePacker, PackedMessages } from '../publisher/packed-messages';

/**
 * One read batch of an invoice CSV, validated and encoded into bus messages: the events for the invoice-lines
 * topic and the dead-letter records for the bad lines, each packed (`PackedMessages`). Encoding is most of a
 * replay's work besides the bus, and a packed batch can be made in a worker thread and transferred as it is.
 */
export interface EncodedCsvBatch {
  /** Data lines covered (good and bad): lines `firstLine .. firstLine + rows - 1`. */
  firstLine: number;
  rows: number;
  events: PackedMessages;
  /** Data line of each event. */
  eventLines: Uint32Array;
  /** Event time of each event, ms since the epoch (only when asked for: pacing by event time needs it). */
  eventTimes?: Float64Array;
  deadLetters: PackedMessages;
  deadLetterLines: Uint32Array;
  /** Progress of the reader after this batch. */
  bytesRead: number;
  totalBytes: number;
  format: InvoiceCsvFormat;
}

export interface CsvBatchOptions {
  format?: InvoiceCsvFormat | 'auto';
  sourceName?: string;
  /** Stop after this many data lines (good or bad). */
  limit?: number;
  /** Fill `eventTimes` (for pacing). */
  withTimes?: boolean;
}

/** Reads and encodes a CSV file batch by batch (in the calling thread; `csv-batch.worker-source.ts` runs it in a worker). */
export async function* encodedCsvBatches(path: string, options: CsvBatchOptions = {}): AsyncGenerator<EncodedCsvBatch> {
  const reader = new InvoiceCsvReader(path, { format: options.format, sourceName: options.sourceName });
  const source = `replay:${reader.sourceName}`;
  let remaining = options.limit ?? Infinity;
  if (remaining <= 0) return;
  for await (let rows of reader.batches()) {
    if (rows.length > remaining) rows = rows.slice(0, remaining);
    remaining -= rows.length;
    yield encodeCsvRows(rows, source, reader, options.withTimes ?? false);
    if (remaining <= 0) return;
  }
}

/** Encodes read rows: events keyed by `invoiceLineKey`, bad lines as dead-letter records keyed by `source`. */
export function encodeCsvRows(
  rows: readonly CsvRow[],
  source: string,
  progress: { bytesRead: number; totalBytes: number; format: InvoiceCsvFormat | undefined },
  withTimes: boolean,
): EncodedCsvBatch {
  const events = new MessagePacker();
  const deadLetters = new MessagePacker();
  const eventLines: number[] = [];
  const deadLetterLines: number[] = [];
  const times: number[] = [];
  let lastTimeText = '';
  let lastTime = 0;
  for (const row of rows) {
    if (row.ok) {
      events.add(invoiceLineKey(row.event), encodeInvoiceLine(row.event));
      eventLines.push(row.line);
      if (withTimes) {
        if (row.event.invoiceTime !== lastTimeText) {
          lastTimeText = row.event.invoiceTime;
          lastTime = Date.parse(lastTimeText);
        }
        times.push(lastTime);
      }
    } else {
      deadLetters.add(source, JSON.stringify(deadLetter({ reason: row.reason, field: row.field, source, line: row.line, payload: row.text })));
      deadLetterLines.push(row.line);
    }
  }
  return {
    firstLine: rows.length > 0 ? rows[0].line : 0,
    rows: rows.length,
    events: events.pack(),
    eventLines: Uint32Array.from(eventLines),
    ...(withTimes ? { eventTimes: Float64Array.from(times) } : {}),
    deadLetters: deadLetters.pack(),
    deadLetterLines: Uint32Array.from(deadLetterLines),
    bytesRead: progress.bytesRead,
    totalBytes: progress.totalBytes,
    format: progress.format ?? 'seed',
  };
}
