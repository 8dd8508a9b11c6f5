/** Dense row-major matrix over a typed array: the data type every algorithm in libs/ml takes and returns. */
export interface Matrix {
  readonly rows: number;
  readonly cols: number;
  /** rows * cols values, row i at [i * cols, (i + 1) * cols). */
  readonly data: Float64Array;
}

export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

export function matrix(rows: number, cols: number, data?: Float64Array): Matrix {
  const d = data ?? new Float64Array(rows * cols);
  if (d.length !== rows * cols) throw new InvalidInputError(`matrix data has ${d.length} values, expected ${rows}x${cols}`);
  return { rows, cols, data: d };
}

/** Builds a matrix from nested arrays (tests, small inputs). */
export function fromRows(rows: readonly (readonly number[])[]): Matrix {
  const cols = rows[0]?.length ?? 0;
  const data = new Float64Array(rows.length * cols);
  rows.forEach((r, i) => {
    if (r.length !== cols) throw new InvalidInputError(`row ${i} has ${r.length} values, expected ${cols}`);
    data.set(r, i * cols);
  });
  return { rows: rows.length, cols, data };
}

export function row(m: Matrix, i: number): Float64Array {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols);
}

export function toRows(m: Matrix): number[][] {
  return Array.from({ length: m.rows }, (_, i) => Array.from(row(m, i)));
}

/** Rejects NaN / ±Infinity with the position of the first offender. */
export function assertFinite(m: Matrix, what = 'input'): void {
  const { data, cols } = m;
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]!)) {
      throw new InvalidInputError(`${what} has a non-finite value (${data[i]}) at row ${Math.floor(i / cols)}, column ${i % cols}`);
    }
  }
}

/** Selects rows by index into a new matrix. */
export function takeRows(m: Matrix, indices: ArrayLike<number>): Matrix {
  const out = new Float64Array(indices.length * m.cols);
  for (let i = 0; i < indices.length; i++) out.set(row(m, indices[i]!), i * m.cols);
  return { rows: indices.length, cols: m.cols, data: out };
}
