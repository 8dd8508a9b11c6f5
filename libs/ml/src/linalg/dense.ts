/** Block operations on tall row-major n x m matrices (n points, m columns) used by PCA and spectral initialisation. */

/** G = Xᵀ X (m x m). */
export function gram(x: Float64Array, n: number, m: number): Float64Array {
  const g = new Float64Array(m * m);
  for (let r = 0; r < n; r++) {
    const o = r * m;
    for (let i = 0; i < m; i++) {
      const xi = x[o + i]!;
      if (xi === 0) continue;
      const gi = i * m;
      for (let j = i; j < m; j++) g[gi + j] += xi * x[o + j]!;
    }
  }
  for (let i = 0; i < m; i++) for (let j = 0; j < i; j++) g[i * m + j] = g[j * m + i]!;
  return g;
}

/** Y = X B with B m x p; returns n x p. */
export function multiplySmall(x: Float64Array, n: number, m: number, b: Float64Array, p: number): Float64Array {
  const y = new Float64Array(n * p);
  for (let r = 0; r < n; r++) {
    const xo = r * m;
    const yo = r * p;
    for (let k = 0; k < m; k++) {
      const xk = x[xo + k]!;
      if (xk === 0) continue;
      const bo = k * p;
      for (let j = 0; j < p; j++) y[yo + j] += xk * b[bo + j]!;
    }
  }
  return y;
}

/** C = Xᵀ Y (m x p) for X n x m, Y n x p. */
export function crossProduct(x: Float64Array, y: Float64Array, n: number, m: number, p: number): Float64Array {
  const c = new Float64Array(m * p);
  for (let r = 0; r < n; r++) {
    const xo = r * m;
    const yo = r * p;
    for (let i = 0; i < m; i++) {
      const xi = x[xo + i]!;
      if (xi === 0) continue;
      const co = i * p;
      for (let j = 0; j < p; j++) c[co + j] += xi * y[yo + j]!;
    }
  }
  return c;
}
