import { choleskyInPlace, invertLower } from './cholesky';
import { gram } from './dense';

/**
 * Orthonormalises the columns of a tall row-major n x m matrix in place by Cholesky QR applied twice (CholeskyQR2),
 * which is accurate to machine precision when the columns are not nearly dependent. Columns that are (numerically)
 * dependent are handled by falling back to modified Gram–Schmidt, which replaces a dependent column with zeros.
 */
export function orthonormalizeColumns(x: Float64Array, n: number, m: number): void {
  for (let pass = 0; pass < 2; pass++) {
    const g = gram(x, n, m);
    if (!choleskyInPlace(g, m)) {
      gramSchmidt(x, n, m);
      return;
    }
    // X <- X L^{-T}
    const linv = invertLower(g, m);
    const row = new Float64Array(m);
    for (let r = 0; r < n; r++) {
      const o = r * m;
      for (let j = 0; j < m; j++) {
        let s = 0;
        for (let k = 0; k <= j; k++) s += x[o + k]! * linv[j * m + k]!;
        row[j] = s;
      }
      x.set(row, o);
    }
  }
}

/** Modified Gram–Schmidt on columns; dependent columns become zero. */
export function gramSchmidt(x: Float64Array, n: number, m: number): void {
  for (let j = 0; j < m; j++) {
    for (let k = 0; k < j; k++) {
      let dot = 0;
      for (let r = 0; r < n; r++) dot += x[r * m + j]! * x[r * m + k]!;
      for (let r = 0; r < n; r++) x[r * m + j] -= dot * x[r * m + k]!;
    }
    let norm = 0;
    for (let r = 0; r < n; r++) norm += x[r * m + j]! * x[r * m + j]!;
    norm = Math.sqrt(norm);
    const inv = norm > 1e-12 ? 1 / norm : 0;
    for (let r = 0; r < n; r++) x[r * m + j] *= inv;
  }
}
