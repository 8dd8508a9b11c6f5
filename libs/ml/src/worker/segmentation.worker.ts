/** Worker-thread entry: runs fitSegmentation and posts progress and the serialised result to the parent. */
import { parentPort, workerData } from 'node:worker_threads';
import { matrix } from '../core/matrix';
import { fitSegmentation } from '../pipeline/fit-segmentation';
import type { SegmentationWorkerMessage, SegmentationWorkerRequest } from './fit-in-worker';

const port = parentPort!;
const req = workerData as SegmentationWorkerRequest;
const post = (m: SegmentationWorkerMessage, transfer: ArrayBuffer[] = []): void => port.postMessage(m, transfer);

fitSegmentation(matrix(req.rows, req.cols, req.data), req.target, req.options, (stage, detail) => post({ type: 'progress', stage, detail }))
  .then((fit) => {
    const labels = fit.labels;
    const fittedRows = fit.fittedRows;
    // typed arrays go by structured clone (the model's arrays may be views shared with the result, so no transfer list)
    post({ type: 'done', model: fit.model.toTransfer(), labels, fittedRows, k: fit.k, silhouette: fit.silhouette, curve: [...fit.curve], timings: fit.timings });
  })
  .catch((e: unknown) => post({ type: 'error', name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) }));
