/**
 * Minimum-cost assignment (Hungarian / Kuhn–Munkres with potentials, O(n²·m)) on a rectangular cost matrix.
 *
 * `cost[i][j]` is the cost of giving row i column j. Every row is assigned a distinct column when rows ≤ columns;
 * when rows > columns, only `columns` rows get one and the rest get -1. Returns, per row, the column index or -1.
 * Non-finite costs are rejected (use a large finite cost for "forbidden").
 */
export function hungarian(cost: readonly (readonly number[])[]): number[] {
  const rows = cost.length;
  if (rows === 0) return [];
  const cols = cost[0]!.length;
  for (let i = 0; i < rows; i++) {
    const r = cost[i]!;
    if (r.length !== cols) throw new Error(`hungarian: row ${i} has ${r.length} costs, expected ${cols}`);
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(r[j]!)) throw new Error(`hungarian: non-finite cost ${r[j]} at (${i}, ${j})`);
    }
  }
  if (cols === 0) return new Array<number>(rows).fill(-1);
  if (rows > cols) {
    // Solve the transpose (columns as rows) and invert.
    const t = Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => cost[i]![j]!));
    const colToRow = hungarian(t);
    const out = new Array<number>(rows).fill(-1);
    colToRow.forEach((i, j) => {
      if (i >= 0) out[i] = j;
    });
    return out;
  }
  // rows <= cols: classic potentials formulation, 1-based with a virtual column 0.
  const n = rows;
  const m = cols;
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const p = new Int32Array(m + 1); // p[j] = row matched to column j (1-based), 0 = none
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Infinity;
      let j1 = 0;
      const row = cost[i0 - 1]!;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = row[j - 1]! - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[p[j]!] = u[p[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else {
          minv[j] = minv[j]! - delta;
        }
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const out = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (p[j]! > 0) out[p[j]! - 1] = j - 1;
  return out;
}

/** Total cost of an assignment returned by {@link hungarian}. */
export function assignmentCost(cost: readonly (readonly number[])[], assignment: readonly number[]): number {
  let total = 0;
  assignment.forEach((j, i) => {
    if (j >= 0) total += cost[i]![j]!;
  });
  return total;
}
