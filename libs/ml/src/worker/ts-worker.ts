import { Worker } from 'node:worker_threads';

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

/** Whether a typed array lives in a SharedArrayBuffer (by its tag, so that it holds across realms). */
export function isShared(a: ArrayBufferView): boolean {
  return Object.prototype.toString.call(a.buffer) === '[object SharedArrayBuffer]';
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
