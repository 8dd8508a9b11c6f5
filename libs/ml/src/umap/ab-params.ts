/**
 * UMAP's a, b: least-squares fit of 1 / (1 + a x^(2b)) to the target membership curve (1 for x < minDist,
 * exp(-(x - minDist) / spread) beyond) on 300 points in [0, 3 spread], as umap-learn's find_ab_params (scipy
 * curve_fit from a = b = 1). Solved by Levenberg–Marquardt with analytic derivatives.
 */
export function findAbParams(spread: number, minDist: number): { a: number; b: number } {
  const m = 300;
  const xs = new Float64Array(m);
  const ys = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    const x = (3 * spread * i) / (m - 1);
    xs[i] = x;
    ys[i] = x < minDist ? 1 : Math.exp(-(x - minDist) / spread);
  }
  const sse = (a: number, b: number): number => {
    let s = 0;
    for (let i = 0; i < m; i++) {
      const r = 1 / (1 + a * Math.pow(xs[i]!, 2 * b)) - ys[i]!;
      s += r * r;
    }
    return s;
  };
  let a = 1;
  let b = 1;
  let lambda = 1e-3;
  let cur = sse(a, b);
  for (let it = 0; it < 200; it++) {
    // normal equations JᵀJ δ = -Jᵀr
    let j11 = 0;
    let j12 = 0;
    let j22 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < m; i++) {
      const x = xs[i]!;
      const p = x > 0 ? Math.pow(x, 2 * b) : 0;
      const den = 1 + a * p;
      const f = 1 / den;
      const r = f - ys[i]!;
      const da = -p / (den * den);
      const db = x > 0 ? (-a * p * 2 * Math.log(x)) / (den * den) : 0;
      j11 += da * da;
      j12 += da * db;
      j22 += db * db;
      g1 += da * r;
      g2 += db * r;
    }
    let improved = false;
    for (let tries = 0; tries < 30; tries++) {
      const h11 = j11 * (1 + lambda);
      const h22 = j22 * (1 + lambda);
      const det = h11 * h22 - j12 * j12;
      const d1 = (-g1 * h22 + g2 * j12) / det;
      const d2 = (-g2 * h11 + g1 * j12) / det;
      const na = a + d1;
      const nb = b + d2;
      const next = na > 0 && nb > 0 ? sse(na, nb) : Infinity;
      if (next < cur) {
        const rel = (cur - next) / Math.max(cur, 1e-300);
        a = na;
        b = nb;
        cur = next;
        lambda = Math.max(lambda / 10, 1e-12);
        improved = true;
        if (rel < 1e-12) return { a, b };
        break;
      }
      lambda *= 10;
    }
    if (!improved) break;
  }
  return { a, b };
}
