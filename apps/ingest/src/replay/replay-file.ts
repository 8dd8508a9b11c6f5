import { InvoiceCsvFormat } from '@insiders/events';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { PublishStream } from '../publisher/publish.stream';
import { CsvBatchOptions, EncodedCsvBatch, encodedCsvBatches } from './csv-batch.encoder';
import { encodedCsvBatchesInWorker } from './csv-batch.worker-source';

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
  /**
   * Read, validate and encode the file in a worker thread (default true): that is half of a replay's CPU time,
   * and another core does it while this thread publishes. `false` does everything in this thread.
   */
  worker?: boolean;
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
    if (signal?.aborted) return resolve();
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
 * acknowledged everything; the counts add up to the lines read. Events are published in file order (per-customer
 * order); the reading and encoding run in a worker thread unless `worker: false`.
 */
export async function replayFile(path: string, publisher: InvoiceLinePublisher, options: ReplayOptions = {}): Promise<ReplayResult> {
  const started = performance.now();
  const speed = options.speed ?? 'max';
  if (speed !== 'max' && !(speed > 0)) throw new Error(`speed must be 'max' or a positive number, got ${speed}`);
  const batchOptions: CsvBatchOptions = { format: options.format, sourceName: options.sourceName, limit: options.limit, withTimes: speed !== 'max' };
  const batches = options.worker === false ? encodedCsvBatches(path, batchOptions) : encodedCsvBatchesInWorker(path, batchOptions);
  const stream = publisher.openStream();
  const pacer = speed === 'max' ? undefined : new Pacer(speed, options.signal);
  let rows = 0;
  let bytesRead = 0;
  let totalBytes = 0;
  let format: InvoiceCsvFormat | undefined;
  const progress = (extraRows = 0): ReplayProgress => ({
    rows: rows + extraRows,
    bytesRead,
    totalBytes,
    accepted: stream.counts.accepted,
    deadLettered: stream.counts.deadLettered,
  });

  let readError: unknown;
  try {
    for await (const batch of batches) {
      if (options.signal?.aborted) break;
      format = batch.format;
      bytesRead = batch.bytesRead;
      totalBytes = batch.totalBytes;
      const read = pacer ? await pacer.publish(batch, stream, (linesRead) => options.onProgress?.(progress(linesRead))) : publishAll(batch, stream);
      rows += read;
      await stream.ready();
      options.onProgress?.(progress());
      if (read < batch.rows) break; // stopped within the batch
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
    format: format ?? 'seed',
    rows,
    accepted: counts.accepted,
    deadLettered: counts.deadLettered,
    elapsedMs,
    rate: rows / (elapsedMs / 1000),
  };
}

/** Adds a whole batch; returns the lines it covers. */
function publishAll(batch: EncodedCsvBatch, stream: PublishStream): number {
  stream.addPacked('deadLettered', batch.deadLetters);
  stream.addPacked('accepted', batch.events);
  return batch.rows;
}

/**
 * Pacing by event time: an event at time t is published no earlier than start + (t - t0) / speed, where t0 is the
 * first event's time. Before waiting, everything earlier in the file is handed to the bus.
 */
class Pacer {
  private firstEventMs: number | undefined;
  private start = 0;
  private lastTime = NaN;
  private lastDue = 0;

  constructor(
    private readonly speed: number,
    private readonly signal: AbortSignal | undefined,
  ) {}

  /** Publishes a batch at pace; returns the lines read (fewer than the batch's when stopped by the signal). */
  async publish(batch: EncodedCsvBatch, stream: PublishStream, onProgress: (linesRead: number) => void): Promise<number> {
    const times = batch.eventTimes!;
    const lines = batch.eventLines;
    let events = 0; // events added so far
    let deadLetters = 0;
    const addBefore = (event: number, line: number) => {
      let d = deadLetters;
      while (d < batch.deadLetterLines.length && batch.deadLetterLines[d] < line) d++;
      stream.addPacked('deadLettered', batch.deadLetters, deadLetters, d);
      stream.addPacked('accepted', batch.events, events, event);
      deadLetters = d;
      events = event;
    };
    for (let i = 0; i < times.length; i++) {
      const t = times[i];
      if (t === this.lastTime) continue;
      this.lastTime = t;
      if (this.firstEventMs === undefined) {
        this.firstEventMs = t;
        this.start = performance.now();
      }
      const due = this.start + (t - this.firstEventMs) / this.speed;
      if (due <= this.lastDue) continue;
      this.lastDue = due;
      const wait = due - performance.now();
      if (wait <= 1) continue;
      addBefore(i, lines[i]);
      stream.flush();
      await stream.ready();
      onProgress(lines[i] - batch.firstLine);
      await sleep(wait, this.signal);
      if (this.signal?.aborted) return lines[i] - batch.firstLine;
    }
    addBefore(times.length, Infinity);
    return batch.rows;
  }
}
