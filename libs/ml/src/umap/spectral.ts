import { Matrix } from '../core/matrix';
import { Random } from '../core/random';
import { crossProduct, multiplySmall } from '../linalg/dense';
import { orthonormalizeColumns } from '../linalg/orthonormalize';
import { pca, pcaTransform } from '../linalg/pca';
import { symmetricEigen } from '../linalg/sym-eigen';
import { CsrGraph, connectedComponents } from './fuzzy-set';

export interface SpectralOptions {
  /** Outer iterations of the filtered subspace iteration. Default 15 (an initialisation needs no more). */
  maxIter?: number;
  /** Residual tolerance ||A v - θ v|| for the wanted eigenvectors. Default 1e-3. */
  tol?: number;
  /** Chebyshev filter degree. Default 8. */
  degree?: number;
  /** Progress: called after every Rayleigh–Ritz step with the largest residual of the wanted vectors. */
  onIteration?: (iteration: number, maxResidual: number) => void;
}

/**
 * The dim eigenvectors after the trivial one of the normalised adjacency D^-1/2 W D^-1/2 of a connected graph
 * (= the smallest non-trivial eigenvectors of the normalised Laplacian, as umap-learn's spectral_layout).
 * Dense Jacobi for graphs up to 64 vertices; Chebyshev-filtered subspace iteration with Rayleigh–Ritz (ChFSI) for large ones.
 * Returns n x dim, or null when the graph is too small.
 */
export function spectralLayout(g: CsrGraph, dim: number, rng: Random, options: SpectralOptions = {}): Float64Array | null {
  const n = g.n;
  if (n <= dim + 1) return null;
  const invSqrt = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let p = g.indptr[i]!; p < g.indptr[i + 1]!; p++) s += g.weights[p]!;
    invSqrt[i] = s > 0 ? 1 / Math.sqrt(s) : 0;
  }
  if (n <= 64) {
    const dense = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let p = g.indptr[i]!; p < g.indptr[i + 1]!; p++) {
        const j = g.indices[p]!;
        dense[i * n + j] = g.weights[p]! * invSqrt[i]! * invSqrt[j]!;
      }
    const { vectors } = symmetricEigen(dense, n);
    const out = new Float64Array(n * dim);
    for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) out[i * dim + c] = vectors[i * n + c + 1]!;
    return out;
  }
  const { maxIter = 15, tol = 1e-3, degree = 8 } = options;
  const want = dim + 1;
  const m = Math.min(n - 1, want + Math.max(4, Math.ceil(0.25 * want)));
  const apply = (x: Float64Array, y: Float64Array): void => {
    y.fill(0);
    for (let i = 0; i < n; i++) {
      const yo = i * m;
      const si = invSqrt[i]!;
      for (let p = g.indptr[i]!; p < g.indptr[i + 1]!; p++) {
        const j = g.indices[p]!;
        const w = g.weights[p]! * si * invSqrt[j]!;
        const xo = j * m;
        for (let c = 0; c < m; c++) y[yo + c] += w * x[xo + c]!;
      }
    }
  };
  let x: Float64Array = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    x[i * m] = 1 / invSqrt[i]!; // the known top eigenvector D^1/2 1
    for (let c = 1; c < m; c++) x[i * m + c] = rng.normal();
  }
  orthonormalizeColumns(x, n, m);
  let y: Float64Array = new Float64Array(n * m);
  let z: Float64Array = new Float64Array(n * m);
  const lo = -1;
  let theta: Float64Array = new Float64Array(m);
  for (let iter = 0; iter < maxIter; iter++) {
    // Rayleigh–Ritz
    apply(x, y);
    const h = crossProduct(x, y, n, m, m);
    for (let a = 0; a < m; a++) for (let b = 0; b < a; b++) h[a * m + b] = h[b * m + a] = (h[a * m + b]! + h[b * m + a]!) / 2;
    const eig = symmetricEigen(h, m);
    theta = eig.values;
    x = multiplySmall(x, n, m, eig.vectors, m);
    y = multiplySmall(y, n, m, eig.vectors, m);
    let maxRes = 0;
    for (let c = 0; c < want; c++) {
      let r = 0;
      for (let i = 0; i < n; i++) {
        const v = y[i * m + c]! - theta[c]! * x[i * m + c]!;
        r += v * v;
      }
      maxRes = Math.max(maxRes, Math.sqrt(r));
    }
    options.onIteration?.(iter + 1, maxRes);
    if (maxRes < tol || iter === maxIter - 1) break;
    // Chebyshev filter damping [lo, cut]
    const cut = theta[m - 1]!;
    const e = (cut - lo) / 2;
    const c0 = (cut + lo) / 2;
    // y holds A x (rotated along with x): y = (A x - c x) / e
    for (let i = 0; i < y.length; i++) y[i] = (y[i]! - c0 * x[i]!) / e;
    let prev = x;
    let curr = y;
    for (let t = 2; t <= degree; t++) {
      apply(curr, z);
      for (let i = 0; i < z.length; i++) z[i] = (2 * (z[i]! - c0 * curr[i]!)) / e - prev[i]!;
      const old = prev;
      prev = curr;
      curr = z;
      z = old;
    }
    x = curr;
    y = prev;
    // keep the trivial vector exact
    for (let i = 0; i < n; i++) x[i * m] = 1 / invSqrt[i]!;
    orthonormalizeColumns(x, n, m);
  }
  const out = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) for (let c = 0; c < dim; c++) out[i * dim + c] = x[i * m + c + 1]!;
  return out;
}

function subgraph(g: CsrGraph, members: Int32Array, localIndex: Int32Array): CsrGraph {
  const indptr = new Int32Array(members.length + 1);
  let nnz = 0;
  for (let a = 0; a < members.length; a++) {
    const v = members[a]!;
    nnz += g.indptr[v + 1]! - g.indptr[v]!;
    indptr[a + 1] = nnz;
  }
  const indices = new Int32Array(nnz);
  const weights = new Float64Array(nnz);
  let q = 0;
  for (let a = 0; a < members.length; a++) {
    const v = members[a]!;
    for (let p = g.indptr[v]!; p < g.indptr[v + 1]!; p++) {
      indices[q] = localIndex[g.indices[p]!]!;
      weights[q++] = g.weights[p]!;
    }
  }
  return { n: members.length, indptr, indices, weights };
}

function randomUniform(n: number, dim: number, lo: number, hi: number, rng: Random): Float64Array {
  const out = new Float64Array(n * dim);
  for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * rng.next();
  return out;
}

function scaleToMaxAbs(x: Float64Array, maxAbs: number): void {
  let m = 0;
  for (const v of x) m = Math.max(m, Math.abs(v));
  if (m > 0) for (let i = 0; i < x.length; i++) x[i] = (x[i]! * maxAbs) / m;
}

/**
 * umap-learn's initial layout: spectral on connected graphs; on disconnected graphs each component gets its own
 * spectral layout (random when it has fewer than 2 x dim points), placed around a meta-embedding of the components
 * (± unit vectors when there are at most 2 x dim components, else PCA of the component centroids when the data is
 * known, else random). Falls back to random when the eigen-solver fails to produce finite vectors.
 * Returns n x dim before the final noise / rescale.
 */
export function spectralInit(g: CsrGraph, dim: number, rng: Random, data?: Matrix, options?: SpectralOptions): Float64Array {
  const n = g.n;
  const { labels, count } = connectedComponents(g);
  if (count === 1) {
    const s = spectralLayout(g, dim, rng, options);
    if (s && s.every(Number.isFinite)) return s;
    return randomUniform(n, dim, -10, 10, rng);
  }
  // meta embedding of the components
  let meta: Float64Array = new Float64Array(count * dim);
  if (count <= 2 * dim) {
    const half = Math.ceil(count / 2);
    for (let c = 0; c < count; c++) meta[c * dim + (c % half)] = c < half ? 1 : -1;
  } else if (data) {
    const cent = new Float64Array(count * data.cols);
    const sizes = new Float64Array(count);
    for (let i = 0; i < n; i++) {
      sizes[labels[i]!]++;
      for (let j = 0; j < data.cols; j++) cent[labels[i]! * data.cols + j] += data.data[i * data.cols + j]!;
    }
    for (let c = 0; c < count; c++) for (let j = 0; j < data.cols; j++) cent[c * data.cols + j] /= sizes[c]!;
    const cm: Matrix = { rows: count, cols: data.cols, data: cent };
    const proj = pcaTransform(pca(cm, dim), cm);
    const k = proj.length / count;
    for (let c = 0; c < count; c++) for (let j = 0; j < Math.min(k, dim); j++) meta[c * dim + j] = proj[c * k + j]!;
    meta = meta.map((v) => v + 1e-6 * rng.normal()); // separate coincident centroids
    scaleToMaxAbs(meta, 1);
  } else {
    meta = randomUniform(count, dim, -1, 1, rng);
  }
  // members per component
  const sizes = new Int32Array(count + 1);
  for (let i = 0; i < n; i++) sizes[labels[i]! + 1]++;
  for (let c = 0; c < count; c++) sizes[c + 1] += sizes[c]!;
  const members = new Int32Array(n);
  const localIndex = new Int32Array(n);
  const fill = sizes.slice(0, count);
  for (let i = 0; i < n; i++) {
    const p = fill[labels[i]!]++;
    members[p] = i;
    localIndex[i] = p - sizes[labels[i]!]!;
  }
  const out = new Float64Array(n * dim);
  for (let c = 0; c < count; c++) {
    let nearest = Infinity;
    for (let o = 0; o < count; o++) {
      if (o === c) continue;
      let s = 0;
      for (let j = 0; j < dim; j++) s += (meta[c * dim + j]! - meta[o * dim + j]!) ** 2;
      nearest = Math.min(nearest, Math.sqrt(s));
    }
    const range = Number.isFinite(nearest) && nearest > 0 ? nearest / 2 : 1;
    const mem = members.subarray(sizes[c]!, sizes[c + 1]!);
    let layout: Float64Array | null = null;
    if (mem.length >= 2 * dim && mem.length > dim + 1) {
      layout = spectralLayout(subgraph(g, mem, localIndex), dim, rng, options);
      if (layout && !layout.every(Number.isFinite)) layout = null;
      if (layout) scaleToMaxAbs(layout, range);
    }
    layout ??= randomUniform(mem.length, dim, -range, range, rng);
    for (let a = 0; a < mem.length; a++) {
      for (let j = 0; j < dim; j++) out[mem[a]! * dim + j] = layout[a * dim + j]! + meta[c * dim + j]!;
    }
  }
  return out;
}
