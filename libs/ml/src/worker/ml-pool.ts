import { Worker } from 'node:worker_threads';
import { startWorker } from './ts-worker';

export const ML_WORKER_ENTRY = `${__dirname}/ml.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  busy: boolean;
}

/**
 * A small pool of long-lived worker threads running ml.worker.ts. Workers are started once (their TypeScript start-up
 * overlaps with whatever the calling thread does meanwhile) and serve tasks one at a time.
 */
export class MlWorkerPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private readonly queue: { id: number; task: unknown }[] = [];
  private nextId = 1;
  private closed = false;
  private failure: Error | null = null;

  constructor(readonly size: number) {
    this.slots = Array.from({ length: size }, () => {
      const worker = startWorker(ML_WORKER_ENTRY, null);
      const slot: Slot = { worker, busy: false };
      worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; name?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        slot.busy = false;
        if (p) {
          if (m.ok) p.resolve(m.result);
          else p.reject(Object.assign(new Error(m.error), { name: m.name ?? 'Error' }));
        }
        this.pump();
      });
      worker.on('error', (e) => this.fail(e));
      worker.on('exit', (code) => {
        if (!this.closed) this.fail(new Error(`ml worker exited with code ${code}`));
      });
      return slot;
    });
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
    this.queue.length = 0;
  }

  private pump(): void {
    for (const slot of this.slots) {
      if (slot.busy || this.queue.length === 0) continue;
      const { id, task } = this.queue.shift()!;
      slot.busy = true;
      slot.worker.postMessage({ id, task });
    }
  }

  run<T>(task: unknown): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('ml worker pool is closed'));
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    this.queue.push({ id, task });
    this.pump();
    return p;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }
}

function tick(): Promise<void> {
  return new Promise((r) => setImmediate(r));
}

/**
 * Processes `items` with the calling thread and, when a pool is given, its workers pulling from one queue. Which
 * thread handles an item does not matter for the result (each item carries everything it needs, seeds included),
 * so the output is the same with or without workers.
 */
export async function shareWork<I, R>(items: readonly I[], local: (item: I) => R, remote: ((item: I) => Promise<R>) | null, pool: MlWorkerPool | null): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers: Promise<void>[] = [];
  if (pool && remote) {
    for (let w = 0; w < pool.size; w++) {
      workers.push(
        (async () => {
          while (next < items.length) {
            const i = next++;
            results[i] = await remote(items[i]!);
          }
        })(),
      );
    }
  }
  const mine = (async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = local(items[i]!);
      if (pool) await tick(); // let worker answers in so that they can take the next item
    }
  })();
  await Promise.all([mine, ...workers]);
  return results;
}
