import { Matrix } from '../core/matrix';
import { Random } from '../core/random';

/** Isotropic Gaussian blobs around the given centres (test fixture). */
export function blobs(centers: number[][], perCluster: number, std: number, seed: number): { x: Matrix; labels: Int32Array } {
  const rng = new Random(seed);
  const d = centers[0]!.length;
  const n = centers.length * perCluster;
  const data = new Float64Array(n * d);
  const labels = new Int32Array(n);
  for (let c = 0; c < centers.length; c++) {
    for (let p = 0; p < perCluster; p++) {
      const i = c * perCluster + p;
      labels[i] = c;
      for (let j = 0; j < d; j++) data[i * d + j] = centers[c]![j]! + std * rng.normal();
    }
  }
  return { x: { rows: n, cols: d, data }, labels };
}
