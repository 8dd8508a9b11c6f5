import { Matrix } from '../core/matrix';
import { symmetricEigen } from './sym-eigen';

export interface Pca {
  mean: Float64Array;
  /** Principal axes as rows (nComponents x cols). */
  components: Float64Array;
  explainedVariance: Float64Array;
}

/** PCA from the covariance matrix (fine for the low column counts of customer features / embeddings). */
export function pca(x: Matrix, nComponents: number): Pca {
  const { rows: n, cols: d, data } = x;
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += data[i * d + j]!;
  for (let j = 0; j < d; j++) mean[j] /= Math.max(n, 1);
  const cov = new Float64Array(d * d);
  const c = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) c[j] = data[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ca = c[a]!;
      for (let b = a; b < d; b++) cov[a * d + b] += ca * c[b]!;
    }
  }
  for (let a = 0; a < d; a++) for (let b = a; b < d; b++) cov[b * d + a] = cov[a * d + b] /= Math.max(n - 1, 1);
  const { values, vectors } = symmetricEigen(cov, d);
  const m = Math.min(nComponents, d);
  const components = new Float64Array(m * d);
  for (let k = 0; k < m; k++) for (let j = 0; j < d; j++) components[k * d + j] = vectors[j * d + k]!;
  return { mean, components, explainedVariance: values.slice(0, m) };
}

/** Projects rows on the PCA axes (n x nComponents). */
export function pcaTransform(p: Pca, x: Matrix): Float64Array {
  const d = x.cols;
  const m = p.components.length / d;
  const out = new Float64Array(x.rows * m);
  for (let i = 0; i < x.rows; i++) {
    for (let k = 0; k < m; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (x.data[i * d + j]! - p.mean[j]!) * p.components[k * d + j]!;
      out[i * m + k] = s;
    }
  }
  return out;
}
