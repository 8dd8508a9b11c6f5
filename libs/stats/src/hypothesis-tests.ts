import { mean, rankWithTies, variance } from './descriptive';
import { normalQuantile, normalSf, studentTQuantile, studentTTwoSided } from './distributions';

export class InsufficientDataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InsufficientDataError';
  }
}

export interface WelchTTestResult {
  test: 'welch-t';
  nA: number;
  nB: number;
  meanA: number;
  meanB: number;
  /** meanA - meanB */
  difference: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom. */
  df: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Confidence interval for meanA - meanB at `confidence`. */
  ci: [number, number];
  confidence: number;
  /** Cohen's d with the pooled standard deviation (effect size). */
  cohenD: number;
}

/** Welch's unequal-variances t-test of H0: mean(a) = mean(b), two-sided. Matches R's `t.test(a, b)`. */
export function welchTTest(a: ArrayLike<number>, b: ArrayLike<number>, confidence = 0.95): WelchTTestResult {
  const nA = a.length;
  const nB = b.length;
  if (nA < 2 || nB < 2) throw new InsufficientDataError(`Welch t-test needs >= 2 values per group (got ${nA} and ${nB})`);
  const mA = mean(a);
  const mB = mean(b);
  const vA = variance(a);
  const vB = variance(b);
  const seA = vA / nA;
  const seB = vB / nB;
  const se = Math.sqrt(seA + seB);
  const diff = mA - mB;
  const df = (seA + seB) ** 2 / (seA ** 2 / (nA - 1) + seB ** 2 / (nB - 1));
  const t = se === 0 ? (diff === 0 ? 0 : Math.sign(diff) * Infinity) : diff / se;
  const pValue = se === 0 ? (diff === 0 ? 1 : 0) : studentTTwoSided(t, df);
  const q = se === 0 ? 0 : studentTQuantile(1 - (1 - confidence) / 2, df);
  const pooled = Math.sqrt(((nA - 1) * vA + (nB - 1) * vB) / (nA + nB - 2));
  return {
    test: 'welch-t',
    nA,
    nB,
    meanA: mA,
    meanB: mB,
    difference: diff,
    t,
    df,
    pValue,
    ci: [diff - q * se, diff + q * se],
    confidence,
    cohenD: pooled === 0 ? 0 : diff / pooled,
  };
}

export interface MannWhitneyResult {
  test: 'mann-whitney-u';
  nA: number;
  nB: number;
  /** U statistic of sample a (= R's W): number of pairs with a > b, ties counting 1/2. */
  u: number;
  /** Normal approximation z (with tie and continuity correction). */
  z: number;
  /** Two-sided p-value. */
  pValue: number;
  /** Probability of superiority P(A > B) + P(A = B)/2 = U / (nA nB). */
  probabilityOfSuperiority: number;
  /** Cliff's delta = 2·U/(nA nB) − 1, in [−1, 1]. */
  cliffsDelta: number;
}

/**
 * Mann–Whitney U (Wilcoxon rank-sum) test, two-sided, normal approximation with tie correction and continuity
 * correction. Matches R's `wilcox.test(a, b, exact = FALSE, correct = TRUE)` and SciPy's
 * `mannwhitneyu(a, b, method='asymptotic')`.
 */
export function mannWhitneyU(a: ArrayLike<number>, b: ArrayLike<number>, continuity = true): MannWhitneyResult {
  const nA = a.length;
  const nB = b.length;
  if (nA < 1 || nB < 1) throw new InsufficientDataError(`Mann–Whitney U needs >= 1 value per group (got ${nA} and ${nB})`);
  const all = new Float64Array(nA + nB);
  for (let i = 0; i < nA; i++) all[i] = a[i]!;
  for (let i = 0; i < nB; i++) all[nA + i] = b[i]!;
  const { ranks, tieSizes } = rankWithTies(all);
  let rankSumA = 0;
  for (let i = 0; i < nA; i++) rankSumA += ranks[i]!;
  const u = rankSumA - (nA * (nA + 1)) / 2;
  const n = nA + nB;
  const mu = (nA * nB) / 2;
  const tieTerm = tieSizes.reduce((s, t) => s + (t ** 3 - t), 0);
  const sigma = Math.sqrt(((nA * nB) / 12) * (n + 1 - tieTerm / (n * (n - 1))));
  const d = u - mu;
  const corr = continuity ? Math.sign(d) * 0.5 : 0;
  const z = sigma === 0 ? 0 : (d - corr) / sigma;
  const pValue = sigma === 0 ? 1 : Math.min(1, 2 * normalSf(Math.abs(z)));
  const ps = u / (nA * nB);
  return { test: 'mann-whitney-u', nA, nB, u, z, pValue, probabilityOfSuperiority: ps, cliffsDelta: 2 * ps - 1 };
}

/** Two-sided normal critical value for a confidence level (1.959964 for 0.95). */
export function zCritical(confidence: number): number {
  return normalQuantile(1 - (1 - confidence) / 2);
}
