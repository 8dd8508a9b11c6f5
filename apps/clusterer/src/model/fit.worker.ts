import { workerData } from 'node:worker_threads';
import { answerParent } from '../../../../libs/ml/src/worker/ts-worker';
import { fitSegmentationNow, type SegmentationFitOptions } from './segmentation-model.adapter';

interface FitRequest {
  rows: number;
  cols: number;
  data: Float64Array;
  target: Float64Array;
  options: SegmentationFitOptions;
}

answerParent(() => {
  const req = workerData as FitRequest;
  const fit = fitSegmentationNow({ rows: req.rows, cols: req.cols, data: req.data }, req.target, req.options);
  return { result: fit, transfer: [fit.labels.buffer as ArrayBuffer, fit.confidence.buffer as ArrayBuffer, fit.map.buffer as ArrayBuffer] };
});
