/** Descriptive statistics over plain number arrays. Empty input gives NaN (never throws) unless stated. */

export function sum(xs: ArrayLike<number>): number {
  // Neumaier compensated summation: revenue sums over many small lines stay exact to the cent.
  let s = 0;
  let c = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
  }
  return s + c;
}

export function mean(xs: ArrayLike<number>): number {
  return xs.length === 0 ? NaN : sum(xs) / xs.length;
}

/** Sample variance (n - 1 denominator). */
export function variance(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return NaN;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i]! - m) ** 2;
  return ss / (n - 1);
}

export function sd(xs: ArrayLike<number>): number {
  return Math.sqrt(variance(xs));
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

/** Quantile of already-sorted values, linear interpolation between order statistics (R type 7, numpy default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (p <= 0) return sorted[0]!;
  if (p >= 1) return sorted[n - 1]!;
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

export function quantile(xs: ArrayLike<number>, p: number): number {
  return quantileSorted(sortedCopy(xs), p);
}

export function median(xs: ArrayLike<number>): number {
  return quantile(xs, 0.5);
}

export interface Summary {
  n: number;
  mean: number;
  sd: number;
  min: number;
  q25: number;
  median: number;
  q75: number;
  max: number;
}

export function summarize(xs: ArrayLike<number>): Summary {
  const s = sortedCopy(xs);
  return {
    n: s.length,
    mean: mean(s),
    sd: sd(s),
    min: s.length ? s[0]! : NaN,
    q25: quantileSorted(s, 0.25),
    median: quantileSorted(s, 0.5),
    q75: quantileSorted(s, 0.75),
    max: s.length ? s[s.length - 1]! : NaN,
  };
}

/** Mid-ranks (1-based; ties get the average of the ranks they span) and the tie groups' sizes. */
export function rankWithTies(xs: ArrayLike<number>): { ranks: Float64Array; tieSizes: number[] } {
  const n = xs.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ranks = new Float64Array(n);
  const tieSizes: number[] = [];
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const r = (i + j + 2) / 2;
    for (let k = i; k <= j; k++) ranks[order[k]!] = r;
    if (j > i) tieSizes.push(j - i + 1);
    i = j + 1;
  }
  return { ranks, tieSizes };
}
