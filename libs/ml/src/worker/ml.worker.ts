/** Long-lived worker of MlWorkerPool: grows trees, runs UMAP layout shards, fits one k of a k range, finds leaf neighbours. */
import { parentPort } from 'node:worker_threads';
import { growTrees } from '../forest/tree.builder';
import type { ForestWorkerRequest } from '../forest/random-forest.model';
import { evaluateK, KTask, toKResultMessage } from '../selection/select-k';
import { LeafGraphTask, LeafKnnTask, leafGraphChunk, leafKnnChunk } from '../pipeline/leaf-knn.task';
import { LayoutShardTask, runLayoutShardBlocking } from '../umap/layout-threads';

export type MlTask =
  | ({ kind: 'trees' } & ForestWorkerRequest)
  | ({ kind: 'k-run' } & KTask)
  | ({ kind: 'leaf-knn' } & LeafKnnTask)
  | ({ kind: 'leaf-graph' } & LeafGraphTask)
  | ({ kind: 'umap-shard' } & LayoutShardTask);

const port = parentPort!;
port.on('message', ({ id, task }: { id: number; task: MlTask }) => {
  try {
    if (task.kind === 'trees') {
      const trees = growTrees(task.data, task.params, task.seeds, task.firstTree, task.leaves, task.nTrees);
      const transfer = trees.flatMap((t) => [t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer, t.importance.buffer] as ArrayBuffer[]);
      port.postMessage({ id, ok: true, result: trees }, transfer);
    } else if (task.kind === 'k-run') {
      port.postMessage({ id, ok: true, result: toKResultMessage(evaluateK(task)) });
    } else if (task.kind === 'umap-shard') {
      runLayoutShardBlocking(task);
      port.postMessage({ id, ok: true, result: null });
    } else if (task.kind === 'leaf-knn' || task.kind === 'leaf-graph') {
      const g = task.kind === 'leaf-knn' ? leafKnnChunk(task) : leafGraphChunk(task);
      port.postMessage({ id, ok: true, result: g }, [g.indices.buffer as ArrayBuffer, g.distances.buffer as ArrayBuffer]);
    } else {
      throw new Error(`unknown ml task ${(task as { kind: string }).kind}`);
    }
  } catch (e) {
    port.postMessage({ id, ok: false, error: e instanceof Error ? e.message : String(e), name: e instanceof Error ? e.name : 'Error' });
  }
});
