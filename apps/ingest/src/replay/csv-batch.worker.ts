import { parentPort, workerData } from 'node:worker_threads';
import { CsvBatchOptions, EncodedCsvBatch, encodedCsvBatches } from './csv-batch.encoder';
import { transferablesOf, WorkerReply, PREFETCH_BATCHES } from './csv-batch.protocol';

/**
 * Worker thread entry (started by `encodedCsvBatchesInWorker`): reads, validates and encodes the CSV and posts
 * each encoded batch, its buffers transferred. Runs at most `PREFETCH_BATCHES` batches ahead of the consumer,
 * which answers every batch with `'more'`.
 */
const { path, options } = workerData as { path: string; options: CsvBatchOptions };
const port = parentPort!;
let credits = PREFETCH_BATCHES;
let wake: (() => void) | undefined;
port.on('message', (message: unknown) => {
  if (message === 'more') {
    credits++;
    wake?.();
  }
});

async function run(): Promise<void> {
  for await (const batch of encodedCsvBatches(path, options)) {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
    credits--;
    post({ type: 'batch', batch: ownBuffers(batch) });
  }
  post({ type: 'end' });
}

function post(reply: WorkerReply): void {
  port.postMessage(reply, reply.type === 'batch' ? transferablesOf(reply.batch) : []);
}

/** Transferring a view of a pooled buffer would take the whole pool away: such values are copied first. */
function ownBuffers(batch: EncodedCsvBatch): EncodedCsvBatch {
  for (const packed of [batch.events, batch.deadLetters]) {
    if (packed.values.byteOffset !== 0 || packed.values.byteLength !== packed.values.buffer.byteLength) packed.values = new Uint8Array(packed.values);
  }
  return batch;
}

run().then(
  () => port.close(),
  (error: unknown) => {
    post({ type: 'error', name: error instanceof Error ? error.name : 'Error', message: error instanceof Error ? error.message : String(error) });
    port.close();
  },
);
