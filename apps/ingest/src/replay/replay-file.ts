import { deadLetter, InvoiceCsvFormat, InvoiceCsvReader } from '@insiders/events';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';

export interface ReplayOptions {
  /** Default `auto` (decided from the header and the first date). */
  format?: InvoiceCsvFormat | 'auto';
  /** Stop after this many data lines (good or bad). */
  limit?: number;
  /** `max` (default): as fast as the bus acknowledges. N: N× real time by event time (3600 = an hour per second). */
  speed?: 'max' | number;
  /** Names event ids and sources; default the file name without `.gz`. */
  sourceName?: string;
  /** Called after each read batch and at the end. */
  onProgress?: (progress: ReplayProgress) => void;
  /** Stops the replay early (what was read so far is still published and counted). */
  signal?: AbortSignal;
}

export interface ReplayProgress {
  rows: number;
  /** Bytes of the file read (compressed bytes for `.gz`) and its size. */
  bytesRead: number;
  totalBytes: number;
  accepted: number;
  deadLettered: number;
}

export interface ReplayResult {
  file: string;
  format: InvoiceCsvFormat;
  /** Data lines read; always `accepted + deadLettered`. */
  rows: number;
  accepted: number;
  deadLettered: number;
  elapsedMs: number;
  /** Rows per second, read to acknowledged. */
  rate: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/**
 * Streams a seed or UCI invoice CSV through the publisher: every data line becomes either an `invoice-line/v1`
 * event (id `<file>:<line>`) or a dead-letter record with the reason and the line's text. Resolves once the bus
 * acknowledged everything; the counts add up to the lines read.
 */
export async function replayFile(path: string, publisher: InvoiceLinePublisher, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const reader = new InvoiceCsvReader(path, { format: options.format, sourceName: options.sourceName });
  const source = `replay:${reader.sourceName}`;
  const limit = options.limit ?? Infinity;
  const speed = options.speed ?? 'max';
  if (speed !== 'max' && !(speed > 0)) throw new Error(`speed must be 'max' or a positive number, got ${speed}`);
  const stream = publisher.openStream();
  let rows = 0;
  const progress = (): ReplayProgress => ({
    rows,
    bytesRead: reader.bytesRead,
    totalBytes: reader.totalBytes,
    accepted: stream.counts.accepted,
    deadLettered: stream.counts.deadLettered,
  });

  // Pacing by event time: an event at time t is published no earlier than start + (t - t0) / speed.
  let firstEventMs: number | undefined;
  let paceStart = 0;
  let lastTimeText = '';
  let lastDue = 0;

  let readError: unknown;
  try {
    reading: for await (const batch of reader.batches()) {
      for (const row of batch) {
        if (rows >= limit || options.signal?.aborted) break reading;
        rows++;
        if (!row.ok) {
          stream.addDeadLetter(deadLetter({ reason: row.reason, field: row.field, source, line: row.line, payload: row.text }));
          continue;
        }
        if (speed !== 'max' && row.event.invoiceTime !== lastTimeText) {
          lastTimeText = row.event.invoiceTime;
          const t = Date.parse(lastTimeText);
          if (firstEventMs === undefined) {
            firstEventMs = t;
            paceStart = performance.now();
          }
          const due = paceStart + (t - firstEventMs) / speed;
          if (due > lastDue) {
            lastDue = due;
            const wait = due - performance.now();
            if (wait > 1) {
              stream.flush();
              await stream.ready();
              options.onProgress?.(progress());
              await sleep(wait, options.signal);
            }
          }
        }
        stream.add(row.event);
      }
      await stream.ready();
      options.onProgress?.(progress());
    }
  } catch (e) {
    readError = e;
  }
  // Whatever was read is published and counted, also when reading failed or stopped early.
  try {
    await stream.close();
  } catch (e) {
    throw readError ?? e;
  }
  if (readError !== undefined) throw readError;
  const counts = stream.counts;
  if (counts.accepted + counts.deadLettered !== rows) {
    throw new Error(`replay of ${path}: ${rows} lines read but ${counts.accepted} accepted + ${counts.deadLettered} dead-lettered`);
  }
  options.onProgress?.(progress());
  const elapsedMs = performance.now() - started;
  return {
    file: path,
    format: reader.format ?? 'seed',
    rows,
    accepted: counts.accepted,
    deadLettered: counts.deadLettered,
    elapsedMs,
    rate: rows / (elapsedMs / 1000),
  };
}
