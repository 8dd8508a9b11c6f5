import { Worker } from 'node:worker_threads';
import { CsvBatchOptions, EncodedCsvBatch } from './csv-batch.encoder';
import { WorkerReply } from './csv-batch.protocol';

const ENTRY = `${__dirname}/csv-batch.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

/**
 * `encodedCsvBatches` in a worker thread: reading, gunzip, decoding, CSV splitting, validation and JSON encoding
 * run on another core while this thread publishes. Same batches, same order; the worker stays at most a couple
 * of batches ahead (backpressure), and stops when the consumer does (return/throw ends the generator).
 */
export async function* encodedCsvBatchesInWorker(path: string, options: CsvBatchOptions = {}): AsyncGenerator<EncodedCsvBatch> {
  const worker = startWorker({ path, options });
  const replies: WorkerReply[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (reply: WorkerReply) => {
    replies.push(reply);
    notify();
  });
  worker.on('error', (error) => {
    failure ??= error;
    notify();
  });
  worker.on('exit', (code) => {
    failure ??= code === 0 ? undefined : new Error(`the CSV worker thread exited with code ${code}`);
    replies.push({ type: 'end' });
    notify();
  });
  try {
    for (;;) {
      while (replies.length === 0 && failure === undefined) await new Promise<void>((resolve) => (wake = resolve));
      const reply = replies.shift();
      if (reply?.type === 'error') throw Object.assign(new Error(reply.message), { name: reply.name });
      if (reply === undefined || reply.type === 'end') {
        if (failure) throw failure;
        return;
      }
      worker.postMessage('more');
      yield reply.batch;
    }
  } finally {
    await worker.terminate();
  }
}

/** TypeScript entries run through `@swc-node/register` inside the worker (also under jest); compiled `.js` directly. */
function startWorker(workerData: unknown): Worker {
  if (ENTRY.endsWith('.ts')) {
    const code = `require(${JSON.stringify(require.resolve('@swc-node/register'))});\nrequire(${JSON.stringify(ENTRY)});\n`;
    return new Worker(code, { eval: true, workerData, execArgv: [] });
  }
  return new Worker(ENTRY, { workerData, execArgv: [] });
}
