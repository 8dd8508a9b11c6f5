/**
 * Runs a sharded UMAP layout (see ShardedLayout in ./optimize) with shard 0 on the calling thread and the other
 * shards on worker threads of an MlWorkerPool, meeting twice per epoch: once every shard has done its edges, each
 * publishes its vertices; once every shard has published, the next epoch starts. The shards follow the same rules
 * whichever thread runs them, so the layout equals `runLayoutInline`'s.
 *
 * The meeting points are counters in a shared Int32Array: control[phase * shards + s] = epochs in which shard s has
 * finished phase 0 (edges) / 1 (publish); control[2 * shards] = abort flag. Workers block in Atomics.wait; the
 * calling thread waits with Atomics.waitAsync, so its event loop still hears a worker that failed (the pool rejects
 * the task, which raises the abort flag).
 */
import type { MlWorkerPool } from '../worker/ml-pool';
import { isShared } from '../worker/ts-worker';
import { LayoutShard, ShardedLayout, runLayoutInline } from './optimize';

/** A worker's part: one shard of a layout whose arrays live in SharedArrayBuffers. */
export interface LayoutShardTask {
  readonly layout: ShardedLayout;
  readonly control: Int32Array;
  readonly shard: number;
}

type WaitAsync = (a: Int32Array, index: number, value: number, timeout?: number) => { async: boolean; value: Promise<string> | string };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

/** Raised by a shard that stops because another one failed (the other's error is the one to report). */
class LayoutAborted extends Error {}

const shardCount = (L: ShardedLayout): number => L.vertexBounds.length - 1;

function abort(control: Int32Array, shards: number): void {
  Atomics.store(control, 2 * shards, 1);
  for (let i = 0; i < 2 * shards; i++) Atomics.notify(control, i);
}

function arrive(control: Int32Array, shards: number, phase: number, shard: number, epoch: number): void {
  Atomics.store(control, phase * shards + shard, epoch + 1);
  Atomics.notify(control, phase * shards + shard);
}

/** The first slot whose shard has not yet finished `phase` of `epoch`, or -1 when all have (throws on abort). */
function lagging(control: Int32Array, shards: number, phase: number, epoch: number): number {
  if (Atomics.load(control, 2 * shards) !== 0) throw new LayoutAborted('UMAP layout aborted by another shard');
  for (let o = 0; o < shards; o++) if (Atomics.load(control, phase * shards + o) <= epoch) return phase * shards + o;
  return -1;
}

/** Worker side: runs one shard to the end, blocking at each meeting point. */
export function runLayoutShardBlocking(t: LayoutShardTask): void {
  const shards = shardCount(t.layout);
  const shard = new LayoutShard(t.layout, t.shard);
  const meet = (phase: number, epoch: number): void => {
    arrive(t.control, shards, phase, t.shard, epoch);
    for (let slot = lagging(t.control, shards, phase, epoch); slot >= 0; slot = lagging(t.control, shards, phase, epoch)) {
      Atomics.wait(t.control, slot, epoch, 1000);
    }
  };
  try {
    for (let epoch = 0; epoch < t.layout.nEpochs; epoch++) {
      shard.edges(epoch);
      meet(0, epoch);
      shard.publish();
      meet(1, epoch);
    }
  } catch (e) {
    abort(t.control, shards);
    throw e;
  }
}

/**
 * Runs every shard: shard 0 here, the others on the pool's workers (inline when there is no pool or it is too small).
 * Resolves when the layout is complete.
 */
export async function runLayoutThreaded(L: ShardedLayout, pool: MlWorkerPool | null, onEpoch?: (epoch: number, nEpochs: number) => void): Promise<void> {
  const shards = shardCount(L);
  if (!pool || pool.size < shards - 1 || shards === 1) {
    runLayoutInline(L, onEpoch);
    return;
  }
  if (!isShared(L.embedding)) throw new Error('UMAP layout: threaded shards need a layout in shared memory');
  const control = new Int32Array(new SharedArrayBuffer(4 * (2 * shards + 1)));
  const workers = Array.from({ length: shards - 1 }, (_, i) =>
    pool.run<void>({ kind: 'umap-shard', layout: L, control, shard: i + 1 } satisfies LayoutShardTask & { kind: 'umap-shard' }, { exclusive: true }).catch((e: unknown) => {
      abort(control, shards);
      throw e;
    }),
  );
  const own = new LayoutShard(L, 0);
  const meet = async (phase: number, epoch: number): Promise<void> => {
    arrive(control, shards, phase, 0, epoch);
    for (let slot = lagging(control, shards, phase, epoch); slot >= 0; slot = lagging(control, shards, phase, epoch)) {
      const w = waitAsync(control, slot, epoch, 1000);
      if (w.async) await w.value;
    }
  };
  let failure: unknown = null;
  try {
    for (let epoch = 0; epoch < L.nEpochs; epoch++) {
      own.edges(epoch);
      await meet(0, epoch);
      own.publish();
      await meet(1, epoch);
      onEpoch?.(epoch + 1, L.nEpochs);
    }
  } catch (e) {
    failure = e;
    abort(control, shards);
  }
  const settled = await Promise.allSettled(workers);
  // report the error that caused the abort, not the abort it caused elsewhere
  if (failure && !(failure instanceof LayoutAborted)) throw failure;
  const workerFailure = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (workerFailure) throw workerFailure.reason instanceof Error ? workerFailure.reason : new Error(String(workerFailure.reason));
  if (failure) throw failure;
}
