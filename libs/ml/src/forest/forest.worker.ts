/** Worker-thread entry: grows the trees for the seeds it is given on shared, presorted data. */
import { workerData } from 'node:worker_threads';
import { answerParent } from '../worker/ts-worker';
import { TreeArrays, growTree } from './tree.builder';
import type { ForestWorkerRequest } from './random-forest.model';

answerParent<TreeArrays[]>(() => {
  const { data, params, seeds } = workerData as ForestWorkerRequest;
  const trees = seeds.map((s) => growTree(data, params, s));
  const transfer = trees.flatMap((t) => [t.feature.buffer, t.threshold.buffer, t.left.buffer, t.right.buffer, t.value.buffer, t.importance.buffer] as ArrayBuffer[]);
  return { result: trees, transfer };
});
