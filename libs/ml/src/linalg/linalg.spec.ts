import { Random } from '../core/random';
import { fromRows } from '../core/matrix';
import {
  cholesky,
  choleskyInPlace,
  invertLower,
  logDetFromCholesky,
  solveLowerInPlace,
  solveUpperTransposedInPlace,
} from './cholesky';
import { gram } from './dense';
import { orthonormalizeColumns } from './orthonormalize';
import { pca } from './pca';
import { symmetricEigen } from './sym-eigen';

function randomSpd(n: number, rng: Random): Float64Array {
  const b = new Float64Array(n * n).map(() => rng.normal());
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let s = i === j ? n : 0;
      for (let k = 0; k < n; k++) s += b[i * n + k]! * b[j * n + k]!;
      a[i * n + j] = s;
    }
  return a;
}

describe('cholesky', () => {
  it('factorises an SPD matrix so that L Lᵀ = A and solves systems', () => {
    const rng = new Random(1);
    const n = 6;
    const a = randomSpd(n, rng);
    const l = cholesky(a, n)!;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += l[i * n + k]! * l[j * n + k]!;
        expect(s).toBeCloseTo(a[i * n + j]!, 9);
        if (j > i) expect(l[i * n + j]).toBe(0);
      }
    const x = new Float64Array(n).map(() => rng.normal());
    const b = new Float64Array(n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] += a[i * n + j]! * x[j]!;
    solveLowerInPlace(l, n, b);
    solveUpperTransposedInPlace(l, n, b);
    for (let i = 0; i < n; i++) expect(b[i]).toBeCloseTo(x[i]!, 9);
    const inv = invertLower(l, n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += inv[i * n + k]! * l[k * n + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 9);
      }
  });

  it('computes log det and rejects indefinite matrices', () => {
    const a = new Float64Array([4, 2, 2, 3]);
    const l = cholesky(a, 2)!;
    expect(logDetFromCholesky(l, 2)).toBeCloseTo(Math.log(4 * 3 - 2 * 2), 12);
    expect(choleskyInPlace(new Float64Array([1, 2, 2, 1]), 2)).toBe(false);
    expect(cholesky(new Float64Array([0, 0, 0, 1]), 2)).toBeNull();
  });
});

describe('symmetricEigen', () => {
  it('diagonalises a symmetric matrix: A v = λ v, orthonormal vectors, descending values', () => {
    const n = 8;
    const a = randomSpd(n, new Random(3));
    for (let i = 0; i < n; i++) a[i * n + i] -= 10; // make it indefinite too
    const { values, vectors } = symmetricEigen(a, n);
    for (let j = 0; j < n; j++) {
      if (j > 0) expect(values[j]).toBeLessThanOrEqual(values[j - 1]!);
      for (let i = 0; i < n; i++) {
        let av = 0;
        for (let k = 0; k < n; k++) av += a[i * n + k]! * vectors[k * n + j]!;
        expect(av).toBeCloseTo(values[j]! * vectors[i * n + j]!, 8);
      }
      for (let k = 0; k < n; k++) {
        let dot = 0;
        for (let i = 0; i < n; i++) dot += vectors[i * n + j]! * vectors[i * n + k]!;
        expect(dot).toBeCloseTo(j === k ? 1 : 0, 10);
      }
    }
  });

  it('knows a hand-computed case', () => {
    const { values } = symmetricEigen(new Float64Array([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
  });
});

describe('orthonormalizeColumns', () => {
  it('returns orthonormal columns spanning the same space', () => {
    const rng = new Random(5);
    const n = 200;
    const m = 5;
    const x = new Float64Array(n * m).map(() => rng.normal() + 3);
    const orig = Float64Array.from(x);
    orthonormalizeColumns(x, n, m);
    const g = gram(x, n, m);
    for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) expect(g[i * m + j]).toBeCloseTo(i === j ? 1 : 0, 10);
    // first column is the normalised first original column (triangular factor)
    let norm = 0;
    for (let r = 0; r < n; r++) norm += orig[r * m]! ** 2;
    expect(x[0]).toBeCloseTo(orig[0]! / Math.sqrt(norm), 10);
  });

  it('zeroes dependent columns instead of producing NaN', () => {
    const x = new Float64Array([1, 2, 1, 2, 1, 2, 1, 2]);
    orthonormalizeColumns(x, 4, 2);
    for (const v of x) expect(Number.isFinite(v)).toBe(true);
  });
});

describe('pca', () => {
  it('finds the dominant axis of points on a line', () => {
    const rows = Array.from({ length: 50 }, (_, i) => [i, 2 * i + 1, 5]);
    const p = pca(fromRows(rows), 2);
    const [c0, c1, c2] = [p.components[0]!, p.components[1]!, p.components[2]!];
    expect(Math.abs(c1 / c0)).toBeCloseTo(2, 8);
    expect(c2).toBeCloseTo(0, 10);
    expect(p.explainedVariance[1]).toBeCloseTo(0, 8);
  });
});
