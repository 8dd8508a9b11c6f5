import { mean, quantileSorted } from './descriptive';
import { InsufficientDataError } from './hypothesis-tests';
import { SeededRandom } from './random';

export type BootstrapStatistic = 'mean' | 'median';

export interface BootstrapOptions {
  statistic?: BootstrapStatistic;
  resamples?: number;
  confidence?: number;
  seed?: number;
}

export interface BootstrapDifferenceResult {
  method: 'percentile-bootstrap';
  statistic: BootstrapStatistic;
  /** statistic(a) − statistic(b) on the observed samples. */
  estimate: number;
  ci: [number, number];
  confidence: number;
  resamples: number;
  seed: number;
  /** Share of resampled differences <= 0 (a one-sided bootstrap tail; small when a is clearly larger). */
  shareAtOrBelowZero: number;
}

/** k-th smallest (0-based) of `xs`, in place (Hoare quickselect): O(n) medians for resampling. */
function select(xs: Float64Array, k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1]!;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (xs[i]! < pivot) i++;
      while (xs[j]! > pivot) j--;
      if (i <= j) {
        const t = xs[i]!;
        xs[i] = xs[j]!;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return xs[k]!;
  }
  return xs[k]!;
}

/** Median (mean of the two middle values for even n), reordering `xs`. */
export function medianInPlace(xs: Float64Array): number {
  const n = xs.length;
  if (n === 0) return NaN;
  const hi = select(xs, n >> 1);
  if (n % 2 === 1) return hi;
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) if (xs[i]! > lo) lo = xs[i]!;
  return (lo + hi) / 2;
}

function statOf(xs: Float64Array, statistic: BootstrapStatistic): number {
  return statistic === 'mean' ? mean(xs) : medianInPlace(xs);
}

/**
 * One resample's statistic from a SORTED sample, without copying values. Mean: average of drawn values. Median: the
 * drawn indices are counted (counting sort) and the middle order statistic read off, which for a sorted sample is the
 * value at the middle drawn index: O(n) with small constants.
 */
function resampleStat(sorted: Float64Array, statistic: BootstrapStatistic, rng: SeededRandom, counts: Uint32Array): number {
  const n = sorted.length;
  if (statistic === 'mean') {
    let s = 0;
    for (let i = 0; i < n; i++) s += sorted[rng.int(n)]!;
    return s / n;
  }
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[rng.int(n)]!++;
  // k-th smallest drawn value, 0-based k; for even n the mean of the (n/2 − 1)-th and (n/2)-th
  const hiK = n >> 1;
  const loK = n % 2 ? hiK : hiK - 1;
  let seen = 0;
  let lo = NaN;
  for (let j = 0; j < n; j++) {
    seen += counts[j]!;
    if (Number.isNaN(lo) && seen > loK) lo = sorted[j]!;
    if (seen > hiK) return (lo + sorted[j]!) / 2;
  }
  return lo;
}

/**
 * Percentile bootstrap confidence interval for statistic(a) − statistic(b), resampling each group independently with
 * replacement. Seeded: the same values (in any order) and seed give the same interval.
 */
export function bootstrapDifference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  options: BootstrapOptions = {},
): BootstrapDifferenceResult {
  const statistic = options.statistic ?? 'mean';
  const resamples = options.resamples ?? 2000;
  const confidence = options.confidence ?? 0.95;
  const seed = options.seed ?? 42;
  if (a.length < 1 || b.length < 1) throw new InsufficientDataError(`bootstrap needs >= 1 value per group (got ${a.length} and ${b.length})`);
  // sorted copies: the result depends on the values and the seed only, not on the order rows arrived in
  const A = Float64Array.from(a).sort();
  const B = Float64Array.from(b).sort();
  const estimate = statOf(Float64Array.from(A), statistic) - statOf(Float64Array.from(B), statistic);
  const rng = new SeededRandom(seed);
  const countsA = new Uint32Array(A.length);
  const countsB = new Uint32Array(B.length);
  const diffs = new Float64Array(resamples);
  let atOrBelow = 0;
  for (let r = 0; r < resamples; r++) {
    const d = resampleStat(A, statistic, rng, countsA) - resampleStat(B, statistic, rng, countsB);
    diffs[r] = d;
    if (d <= 0) atOrBelow++;
  }
  diffs.sort();
  const alpha = 1 - confidence;
  return {
    method: 'percentile-bootstrap',
    statistic,
    estimate,
    ci: [quantileSorted(diffs, alpha / 2), quantileSorted(diffs, 1 - alpha / 2)],
    confidence,
    resamples,
    seed,
    shareAtOrBelowZero: atOrBelow / resamples,
  };
}
