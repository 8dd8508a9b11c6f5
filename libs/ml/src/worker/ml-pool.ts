import { Worker } from 'node:worker_threads';
import { startWorker } from './ts-worker';

export const ML_WORKER_ENTRY = `${__dirname}/ml.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
}

interface Slot {
  worker: Worker;
  /** Tasks posted to this worker and not yet answered. */
  inFlight: number;
  /** Id of the exclusive task the worker runs (nothing else is posted to it meanwhile), or 0. */
  exclusive: number;
}

/**
 * Tasks posted ahead to each worker. A worker runs them one after the other, but with one in flight it would idle
 * between tasks until the calling thread, busy with its own share of the work, reads the answer and posts the next.
 */
export const TASKS_IN_FLIGHT = 2;

/**
 * A small pool of long-lived worker threads running ml.worker.ts. Workers are started once (their TypeScript start-up
 * overlaps with whatever the calling thread does meanwhile) and serve up to TASKS_IN_FLIGHT queued tasks each.
 */
export class MlWorkerPool {
  private readonly slots: Slot[];
  private readonly pending = new Map<number, Pending>();
  private readonly queue: { id: number; task: unknown; exclusive: boolean }[] = [];
  private nextId = 1;
  private closed = false;
  private failure: Error | null = null;

  constructor(readonly size: number) {
    this.slots = Array.from({ length: size }, () => {
      const worker = startWorker(ML_WORKER_ENTRY, null);
      const slot: Slot = { worker, inFlight: 0, exclusive: 0 };
      worker.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string; name?: string }) => {
        const p = this.pending.get(m.id);
        this.pending.delete(m.id);
        slot.inFlight--;
        if (slot.exclusive === m.id) slot.exclusive = 0;
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

  /** Posts queued tasks in order, each to the least loaded worker that may take it; stops at the first that must wait. */
  private pump(): void {
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      let best: Slot | null = null;
      for (const slot of this.slots) {
        const free = next.exclusive ? slot.inFlight === 0 : slot.exclusive === 0 && slot.inFlight < TASKS_IN_FLIGHT;
        if (free && (!best || slot.inFlight < best.inFlight)) best = slot;
      }
      if (!best) return;
      this.queue.shift();
      best.inFlight++;
      if (next.exclusive) best.exclusive = next.id;
      best.worker.postMessage({ id: next.id, task: next.task });
    }
  }

  /**
   * Runs a task on a worker. An `exclusive` task gets a worker to itself (no task queued behind it): for tasks that
   * wait on one another, such as the shards of a UMAP layout, which would deadlock queued on the same worker.
   */
  run<T>(task: unknown, options: { exclusive?: boolean } = {}): Promise<T> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closed) return Promise.reject(new Error('ml worker pool is closed'));
    const id = this.nextId++;
    const p = new Promise<T>((resolve, reject) => this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject }));
    this.queue.push({ id, task, exclusive: options.exclusive === true });
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
    // as many lanes as the workers take tasks in flight, so that each always has the next one queued
    for (let w = 0; w < pool.size * TASKS_IN_FLIGHT; w++) {
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
