import { InvalidInputError, Matrix } from '../core/matrix';
import { ProgressListener, SegmentationFit, StageTimings } from '../pipeline/fit-segmentation';
import { KCurvePoint, SegmentationModel, SegmentationModelTransfer } from '../pipeline/segmentation.model';
import { SegmentationOptions } from '../pipeline/segmentation.options';
import { startWorker } from './ts-worker';

export interface SegmentationWorkerRequest {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
  readonly target: Float64Array;
  readonly options: SegmentationOptions;
}

export type SegmentationWorkerMessage =
  | { type: 'progress'; stage: Parameters<ProgressListener>[0]; detail?: Parameters<ProgressListener>[1] }
  | {
      type: 'done';
      model: SegmentationModelTransfer;
      labels: Int32Array;
      fittedRows: Int32Array;
      k: number;
      silhouette: number;
      curve: KCurvePoint[];
      timings: StageTimings;
    }
  | { type: 'error'; name: string; message: string };

export const SEGMENTATION_WORKER_ENTRY = `${__dirname}/segmentation.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

/**
 * Runs `fitSegmentation` in a worker thread so that a long fit never blocks the caller's event loop. Same result as
 * the in-thread fit for the same data and seed. The input arrays are copied to the worker.
 */
export function fitSegmentationInWorker(
  features: Matrix,
  target: Float64Array,
  options: SegmentationOptions = {},
  onProgress: ProgressListener = () => undefined,
): Promise<SegmentationFit> {
  const request: SegmentationWorkerRequest = { rows: features.rows, cols: features.cols, data: features.data, target, options };
  return new Promise<SegmentationFit>((resolve, reject) => {
    const worker = startWorker(SEGMENTATION_WORKER_ENTRY, request);
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      f();
      void worker.terminate();
    };
    worker.on('message', (m: SegmentationWorkerMessage) => {
      if (m.type === 'progress') {
        onProgress(m.stage, m.detail);
      } else if (m.type === 'done') {
        finish(() => {
          try {
            const model = SegmentationModel.fromTransfer(m.model);
            resolve({ model, labels: m.labels, fittedRows: m.fittedRows, k: m.k, silhouette: m.silhouette, curve: model.curve, timings: m.timings });
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
          }
        });
      } else {
        finish(() => reject(m.name === 'InvalidInputError' ? new InvalidInputError(m.message) : Object.assign(new Error(m.message), { name: m.name })));
      }
    });
    worker.once('error', (e) => finish(() => reject(e)));
    worker.once('exit', (code) => finish(() => reject(new Error(`segmentation worker exited with code ${code} before answering`))));
  });
}
