import { cpus, availableParallelism } from 'node:os';
import { Worker, parentPort } from 'node:worker_threads';

/**
 * Starts a worker thread on a module of libs/ml. TypeScript entries are run through `@swc-node/register` inside the
 * worker (so this works both under `node -r @swc-node/register` and under jest, whose in-process transform does not
 * reach worker threads); compiled `.js` entries are started directly.
 */
export function startWorker(entry: string, workerData: unknown): Worker {
  // V8 flags cannot be passed to a worker; carry the heap limit over as a resource limit
  const heap = process.execArgv.map((a) => /^--max-old-space-size=(\d+)$/.exec(a)?.[1]).find((v) => v !== undefined);
  const options = { workerData, execArgv: [] as string[], ...(heap ? { resourceLimits: { maxOldGenerationSizeMb: Number(heap) } } : {}) };
  if (entry.endsWith('.ts')) {
    const register = require.resolve('@swc-node/register');
    const code = `require(${JSON.stringify(register)});\nrequire(${JSON.stringify(entry)});\n`;
    return new Worker(code, { ...options, eval: true });
  }
  return new Worker(entry, options);
}

/** Runs one worker to completion: resolves with its first message, rejects on error or exit without a message. */
export function runWorker<T>(entry: string, workerData: unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = startWorker(entry, workerData);
    let settled = false;
    worker.once('message', (msg: { ok: true; result: T } | { ok: false; error: string; name?: string }) => {
      settled = true;
      if (msg.ok) resolve(msg.result);
      else {
        const e = new Error(msg.error);
        if (msg.name) e.name = msg.name;
        reject(e);
      }
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    worker.once('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`worker ${entry} exited with code ${code} before answering`));
      }
    });
  });
}

/** Copies a typed array into shared memory so that workers read it without a copy. */
export function shareFloat64(a: Float64Array): Float64Array {
  const out = new Float64Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

export function shareInt32(a: Int32Array): Int32Array {
  const out = new Int32Array(new SharedArrayBuffer(a.byteLength));
  out.set(a);
  return out;
}

/** Number of worker threads worth using: the machine's cores, capped. */
export function defaultWorkerCount(cap = 4): number {
  const cores = typeof availableParallelism === 'function' ? availableParallelism() : cpus().length;
  return Math.max(1, Math.min(cap, cores));
}

/** Worker side: computes the answer and posts `{ ok, result | error }` to the parent (transferring the buffers given). */
export function answerParent<T>(compute: () => { result: T; transfer?: ArrayBuffer[] } | Promise<{ result: T; transfer?: ArrayBuffer[] }>): void {
  const port = parentPort;
  if (!port) throw new Error('answerParent must run inside a worker thread');
  Promise.resolve()
    .then(compute)
    .then(
      ({ result, transfer }) => port.postMessage({ ok: true, result }, transfer ?? []),
      (e: unknown) => port.postMessage({ ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : undefined }),
    )
    .catch(() => undefined);
}
