/**
 * Drift of the feature distribution since the last fit: population stability index (PSI) per feature, over
 * decile bins fixed at fit time. PSI = Σ (a − e)·ln(a / e) over bins, with e / a the fit-time / current shares
 * (floored at 1e-4). Rule of thumb: < 0.1 stable, 0.1–0.25 moderate, > 0.25 large; the clusterer refits when the
 * largest feature PSI exceeds its configured threshold.
 */
export interface FeatureBaseline {
  name: string;
  /** Inner bin edges (ascending, deduplicated). Bin b holds values in (edges[b-1], edges[b]]. */
  edges: number[];
  /** Share of fit-time values per bin (edges.length + 1 bins). */
  shares: number[];
}

const FLOOR = 1e-4;

function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x <= edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function sharesOf(edges: readonly number[], values: ArrayLike<number>): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) counts[binOf(edges, values[i]!)]!++;
  return counts.map((c) => (values.length ? c / values.length : 0));
}

export function featureBaseline(name: string, values: ArrayLike<number>, bins = 10): FeatureBaseline {
  const sorted = Float64Array.from(values).sort();
  const edges: number[] = [];
  for (let b = 1; b < bins; b++) {
    if (sorted.length === 0) break;
    const e = sorted[Math.min(sorted.length - 1, Math.floor((b * sorted.length) / bins))]!;
    if (edges.length === 0 || e > edges[edges.length - 1]!) edges.push(e);
  }
  return { name, edges, shares: sharesOf(edges, values) };
}

export function psi(baseline: FeatureBaseline, values: ArrayLike<number>): number {
  const actual = sharesOf(baseline.edges, values);
  let s = 0;
  for (let b = 0; b < actual.length; b++) {
    const e = Math.max(FLOOR, baseline.shares[b]!);
    const a = Math.max(FLOOR, actual[b]!);
    s += (a - e) * Math.log(a / e);
  }
  return s;
}

export interface DriftReport {
  perFeature: { name: string; psi: number }[];
  max: number;
}

/** Drift of each baseline feature; `columns[name]` holds the current values of that feature. */
export function driftReport(baselines: readonly FeatureBaseline[], columns: ReadonlyMap<string, ArrayLike<number>>): DriftReport {
  const perFeature = baselines
    .filter((b) => columns.has(b.name))
    .map((b) => ({ name: b.name, psi: psi(b, columns.get(b.name)!) }));
  return { perFeature, max: Math.max(0, ...perFeature.map((f) => f.psi)) };
}
