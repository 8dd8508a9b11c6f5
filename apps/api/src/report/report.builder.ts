import type { CustomerFeatures } from '@insiders/features-core';
import { DEFAULT_INSIDERS_RULE } from '@insiders/segments';
import {
  adjustedRandIndex,
  autoForecast,
  backtestForecast,
  bootstrapDifference,
  crosstab,
  FORECAST_METHODS,
  forecastWith,
  learnThresholdRule,
  mannWhitneyU,
  mean,
  median,
  normalizedMutualInformation,
  sum,
  welchTTest,
  type BacktestSummary,
  type ForecastMethod,
} from '@insiders/stats';
import type {
  ActiveModelRow,
  MembershipRow,
  MonthlyRevenueRow,
  SegmentRow,
  TransitionTotalsRow,
} from './report.repository';
import type {
  BacktestBlock,
  ComparisonRow,
  Conditions,
  Eligibility,
  Evidence,
  ForecastSection,
  ProfileRow,
  Report,
  ReportFeature,
  RfmSection,
} from './report.types';

/** Everything the report is computed from, as the repository reads it. */
export interface ReportInput {
  now: Date;
  policyName: string;
  model: ActiveModelRow | null;
  segments: SegmentRow[];
  memberships: MembershipRow[];
  features: CustomerFeatures[];
  rfm: { customerId: string; segment: string }[];
  monthly: MonthlyRevenueRow[];
  transitions: TransitionTotalsRow;
}

export interface ReportOptions {
  /** Months to forecast. */
  horizon: number;
  /** Complete months held out to validate the forecast. */
  holdout: number;
  /** Prediction interval level. */
  level: number;
  /** Confidence level of tests' intervals. */
  confidence: number;
  resamples: number;
  seed: number;
  /** Forecasting procedure: `auto` (selection by cross-validation inside the fitted months) or a fixed method. */
  forecastMethod: ForecastMethod | 'auto';
}

export const DEFAULT_REPORT_OPTIONS: ReportOptions = {
  forecastMethod: 'auto',
  horizon: 3,
  holdout: 3,
  level: 0.8,
  confidence: 0.95,
  resamples: 1000,
  seed: 42,
};

export const FEATURE_LABELS: Record<ReportFeature, string> = {
  grossRevenue: 'gross revenue',
  recencyDays: 'recency (days since last purchase)',
  invoices: 'invoices',
  frequency: 'purchase frequency (invoices per active day)',
  items: 'items bought',
  products: 'purchase lines',
  returns: 'items returned',
  averageTicket: 'average ticket',
};

const RULE_FEATURES: ReportFeature[] = ['grossRevenue', 'recencyDays', 'invoices', 'frequency', 'items', 'products', 'returns', 'averageTicket'];
const EVIDENCE_FEATURES: ReportFeature[] = ['grossRevenue', 'frequency', 'invoices', 'recencyDays'];

interface Joined {
  f: CustomerFeatures;
  m: MembershipRow;
}

/** Number formatting for the sentences the report writes (the JSON keeps full precision). */
export function formatValue(feature: ReportFeature, v: number): string {
  switch (feature) {
    case 'grossRevenue':
    case 'averageTicket':
      return v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    case 'frequency':
      return v.toPrecision(3);
    default:
      return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(1);
  }
}

/** "p = 0.012", "p = 3.1e-9", "p < 1e-300". */
export function pEquals(p: number): string {
  const f = formatP(p);
  return f.startsWith('<') ? `p ${f}` : `p = ${f}`;
}

export function formatP(p: number): string {
  if (!Number.isFinite(p)) return 'n/a';
  if (p < 1e-300) return '< 1e-300';
  if (p < 0.001) return p.toExponential(1);
  return p.toFixed(3);
}

const capitalise = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function findRule(params: string | undefined): { rule: Record<string, number>; source: 'model' | 'default' } {
  const visit = (o: unknown, depth: number): Record<string, number> | null => {
    if (!o || typeof o !== 'object' || depth > 4) return null;
    const rec = o as Record<string, unknown>;
    if (typeof rec.maxSegmentRecencyDays === 'number' && typeof rec.minInvoices === 'number') {
      return Object.fromEntries(Object.entries(rec).filter(([, v]) => typeof v === 'number')) as Record<string, number>;
    }
    for (const v of Object.values(rec)) {
      const found = visit(v, depth + 1);
      if (found) return found;
    }
    return null;
  };
  try {
    const found = params ? visit(JSON.parse(params), 0) : null;
    if (found) return { rule: found, source: 'model' };
  } catch {
    // unparseable params: fall back to the documented default
  }
  return { rule: { ...DEFAULT_INSIDERS_RULE }, source: 'default' };
}

function profileOf(segment: { segmentId: number; name: string; isInsiders: boolean }, members: Joined[], totalAssigned: number, totalRevenue: number): ProfileRow {
  const col = (k: keyof CustomerFeatures) => members.map((j) => j.f[k] as number);
  const revenue = col('grossRevenue');
  return {
    ...segment,
    customers: members.length,
    share: totalAssigned ? members.length / totalAssigned : 0,
    revenueShare: totalRevenue ? sum(revenue) / totalRevenue : 0,
    meanRevenue: mean(revenue) || 0,
    medianRevenue: median(revenue) || 0,
    meanRecencyDays: mean(col('recencyDays')) || 0,
    meanFrequency: mean(col('frequency')) || 0,
    meanInvoices: mean(col('invoices')) || 0,
    meanItems: mean(col('items')) || 0,
    meanProducts: mean(col('products')) || 0,
    meanReturns: mean(col('returns')) || 0,
    meanTicket: mean(col('averageTicket')) || 0,
  };
}

function monthEnd(monthStart: string): string {
  const d = new Date(`${monthStart}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
}

function addMonths(monthStart: string, n: number): string {
  const d = new Date(`${monthStart}T00:00:00Z`);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1)).toISOString().slice(0, 10);
}

/** Dense monthly series (gaps filled with zero revenue); first/last month flagged incomplete when partly covered. */
export function monthlySeries(rows: readonly MonthlyRevenueRow[]): ForecastSection['history'] {
  if (rows.length === 0) return [];
  const byMonth = new Map(rows.map((r) => [r.month, r]));
  const first = rows[0]!.month;
  const last = rows[rows.length - 1]!.month;
  const out: ForecastSection['history'] = [];
  for (let m = first; m <= last; m = addMonths(m, 1)) {
    const r = byMonth.get(m);
    const complete = !r || ((m !== first || r.firstDay === m) && (m !== last || r.lastDay === monthEnd(m)));
    out.push({ month: m, insidersRevenue: r?.insidersRevenue ?? 0, totalRevenue: r?.revenue ?? 0, complete });
  }
  return out;
}

function block(b: BacktestSummary, months: string[]): BacktestBlock {
  return {
    mape: b.mape,
    naiveMape: b.naiveMape,
    coverage: b.coverage,
    cases: b.cases.map((c) => ({ ...c, month: months[c.index]! })),
  };
}

const METHOD_WORDS: Record<ForecastMethod, string> = {
  naive: 'naive (next months = last complete month)',
  drift: 'random walk with drift (last month plus the average monthly change)',
  'holt-damped': "Holt's linear trend with damping (ETS(A,Ad,N)), parameters by grid search on one-step errors",
};

export function buildForecast(monthly: readonly MonthlyRevenueRow[], options: ReportOptions): ForecastSection {
  const history = monthlySeries(monthly);
  const procedure = options.forecastMethod;
  const interval = `${Math.round(options.level * 100)}% prediction interval from the one-step residuals (Student t)`;
  const method =
    procedure === 'auto'
      ? `automatic: naive or random walk with drift (damped Holt from 18 months on), chosen by the lowest one-step error over rolling origins inside the fitted months; ${interval}`
      : `${METHOD_WORDS[procedure]}; ${interval}`;
  const caveats = [
    "The series is the revenue of today's Insiders in past months: they are Insiders partly because of that revenue and because they bought recently, so the history flatters the cohort (selection bias); read the forecast as what this cohort is expected to bring, not as total Insiders-programme revenue.",
  ];
  // the fitted series: complete months only (a trailing partial month would look like a collapse)
  let start = 0;
  while (start < history.length && !history[start]!.complete) start++;
  let end = history.length;
  while (end > start && !history[end - 1]!.complete) end--;
  const fitted = history.slice(start, end);
  const series = fitted.map((h) => h.insidersRevenue);
  const months = fitted.map((h) => h.month);
  if (series.length < 6) {
    return {
      available: false,
      reason: `needs at least 6 complete months of revenue, found ${series.length}`,
      method,
      procedure,
      history,
      level: options.level,
      points: [],
      caveats,
    };
  }
  caveats.push(
    `${series.length} complete months: no seasonal pattern can be estimated or validated (that needs two years or more), so a seasonal peak such as November's is not modelled and a forecast across it can miss; ${Math.min(options.holdout, series.length - 4)} held-out months are a small sample for the error and coverage figures.`,
  );
  const forecastOptions = { horizon: options.horizon, level: options.level, nonNegative: true };
  const auto = procedure === 'auto' ? autoForecast(series, forecastOptions) : null;
  const fc = auto ?? forecastWith(procedure as ForecastMethod, series, forecastOptions);
  const holdout = Math.min(options.holdout, series.length - 4);
  const backtestOptions = { level: options.level, nonNegative: true };
  const bt = backtestForecast(series, holdout, { ...backtestOptions, method: procedure });
  const comparison = [...FORECAST_METHODS, 'auto' as const].map((m) => {
    const b = m === procedure ? bt : backtestForecast(series, holdout, { ...backtestOptions, method: m });
    return { method: m, oneStepMape: b.oneStep.mape, multiStepMape: b.multiStep.mape, oneStepCoverage: b.oneStep.coverage, multiStepCoverage: b.multiStep.coverage };
  });
  const lastMonth = months[months.length - 1]!;
  const partialAfter = history.slice(end);
  const points = fc.points.map((p) => {
    const month = addMonths(lastMonth, p.h);
    const partial = partialAfter.find((h) => h.month === month);
    return { month, mean: p.mean, lower: p.lower, upper: p.upper, ...(partial ? { actualToDate: partial.insidersRevenue } : {}) };
  });
  if (partialAfter.length) caveats.push(`${partialAfter.map((h) => h.month.slice(0, 7)).join(', ')} is only partly covered by the data: forecast for the whole month, actual to date shown beside it.`);
  const selection = auto ? { scores: auto.selection.scores as Record<string, number>, origins: auto.selection.origins } : undefined;
  return {
    available: true,
    method,
    procedure,
    model: fc.method,
    ...(selection ? { selection } : {}),
    history,
    level: options.level,
    ...(fc.params ? { params: fc.params } : {}),
    points,
    backtest: { holdout, oneStep: block(bt.oneStep, months), multiStep: block(bt.multiStep, months) },
    comparison,
    caveats,
  };
}

function conditionText(feature: ReportFeature, direction: '>=' | '<=', threshold: number): string {
  const v = formatValue(feature, threshold);
  switch (feature) {
    case 'recencyDays':
      return direction === '<=' ? `bought within the last ${v} days` : `last purchase at least ${v} days ago`;
    default:
      return `${FEATURE_LABELS[feature]} ${direction === '>=' ? '≥' : '≤'} ${v}`;
  }
}

function leaveText(feature: ReportFeature, direction: '>=' | '<=', threshold: number): string {
  const v = formatValue(feature, threshold);
  switch (feature) {
    case 'recencyDays':
      return direction === '<=' ? `no purchase for more than ${v} days` : `a purchase within ${v} days`;
    case 'grossRevenue':
      return direction === '>=' ? `gross revenue falling below ${v} (e.g. after returns are netted by a refit)` : `gross revenue rising above ${v}`;
    default:
      return `${FEATURE_LABELS[feature]} ${direction === '>=' ? 'falling below' : 'rising above'} ${v}`;
  }
}

function ruleWords(rule: Record<string, number>, insidersSegments: string[]): string[] {
  const pct = (x: number | undefined) => (x === undefined ? '?' : `${Math.round(x * 100)}%`);
  const words = [
    `Segments are ranked by mean revenue; a segment is eligible when its mean recency is at most ${rule.maxSegmentRecencyDays ?? '?'} days and it has at least ${rule.minSegmentSize ?? '?'} members; eligible segments are taken in rank order until they cover ${pct(rule.minShare)}–${pct(rule.maxShare)} of customers.`,
    `Selected now: ${insidersSegments.length ? insidersSegments.join(', ') : 'none'}.`,
    `A member of a selected segment is an Insider when they have at least ${rule.minInvoices ?? '?'} invoices, bought within the last ${rule.maxRecencyDays ?? '?'} days and spent at least ${rule.minRevenue ?? 0}.`,
  ];
  return words;
}

function buildConditions(joined: Joined[], rule: Record<string, number>, insidersSegments: string[], transitions: TransitionTotalsRow): Conditions {
  const rows = joined.map((j) => RULE_FEATURES.map((k) => j.f[k] as number));
  const labels = joined.map((j) => j.m.isInsider);
  const fit = learnThresholdRule(RULE_FEATURES, rows, labels, { maxConditions: 3 });
  const enter = fit.conditions.map((c) => {
    const feature = c.feature as ReportFeature;
    return { ...c, label: FEATURE_LABELS[feature], text: conditionText(feature, c.direction, c.threshold) };
  });
  const leave = [
    ...(rule.maxRecencyDays !== undefined ? [`no purchase for more than ${rule.maxRecencyDays} days (customer guard)`] : []),
    ...fit.conditions.map((c) => leaveText(c.feature as ReportFeature, c.direction, c.threshold)),
    'a refit or an incremental re-assignment that moves the customer to a segment the rule does not select (their features now resemble another segment more)',
  ];
  return {
    rule: ruleWords(rule, insidersSegments),
    enter: { conditions: enter, precision: fit.precision, recall: fit.recall, f1: fit.f1 },
    leave,
    observed: transitions,
  };
}

function buildEvidence(insiders: CustomerFeatures[], rest: CustomerFeatures[], options: ReportOptions): Evidence[] {
  if (insiders.length < 2 || rest.length < 2) return [];
  return EVIDENCE_FEATURES.map((feature, i) => {
    const a = insiders.map((c) => c[feature] as number);
    const b = rest.map((c) => c[feature] as number);
    const w = welchTTest(a, b, options.confidence);
    const u = mannWhitneyU(a, b);
    const boot = bootstrapDifference(a, b, {
      statistic: 'median',
      resamples: options.resamples,
      confidence: options.confidence,
      seed: options.seed + i,
    });
    const higher = u.probabilityOfSuperiority >= 0.5;
    const conclusion =
      `${capitalise(FEATURE_LABELS[feature])}: Insiders ${higher ? 'higher' : 'lower'} than the others, median ${formatValue(feature, median(a))} vs ${formatValue(feature, median(b))} ` +
      `(Mann–Whitney ${pEquals(u.pValue)}, P(Insider ${higher ? '>' : '<'} other) = ${(higher ? u.probabilityOfSuperiority : 1 - u.probabilityOfSuperiority).toFixed(2)}; ` +
      `${Math.round(options.confidence * 100)}% bootstrap CI of the median difference ${formatValue(feature, boot.ci[0])} to ${formatValue(feature, boot.ci[1])}; ` +
      `Welch t = ${w.t.toFixed(1)}, ${pEquals(w.pValue)}).`;
    return {
      feature,
      label: FEATURE_LABELS[feature],
      insiders: { n: a.length, mean: mean(a), median: median(a) },
      rest: { n: b.length, mean: mean(b), median: median(b) },
      welch: { t: w.t, df: w.df, pValue: w.pValue, difference: w.difference, ci: w.ci },
      mannWhitney: { u: u.u, z: u.z, pValue: u.pValue, probabilityOfSuperiority: u.probabilityOfSuperiority, cliffsDelta: u.cliffsDelta },
      bootstrapMedian: { estimate: boot.estimate, ci: boot.ci, resamples: boot.resamples, seed: boot.seed },
      confidence: options.confidence,
      conclusion,
    };
  });
}

function buildRfm(joined: Joined[], rfm: { customerId: string; segment: string }[], names: Map<number, string>): RfmSection {
  const rfmBy = new Map(rfm.map((r) => [r.customerId, r.segment]));
  const pairs = joined.filter((j) => rfmBy.has(j.m.customerId));
  if (pairs.length === 0) {
    return { available: false, n: 0, mlSegments: [], rfmSegments: [], counts: [], adjustedRandIndex: NaN, normalizedMutualInformation: NaN, insidersByRfm: [] };
  }
  const ml = pairs.map((j) => names.get(j.m.segmentId) ?? `segment ${j.m.segmentId}`);
  const base = pairs.map((j) => rfmBy.get(j.m.customerId)!);
  const table = crosstab(ml, base);
  const insidersByRfm = table.cols.map((segment) => {
    const members = pairs.filter((j) => rfmBy.get(j.m.customerId) === segment);
    const insiders = members.filter((j) => j.m.isInsider).length;
    return { segment, insiders, share: members.length ? insiders / members.length : 0 };
  });
  return {
    available: true,
    n: pairs.length,
    mlSegments: table.rows,
    rfmSegments: table.cols,
    counts: table.counts,
    adjustedRandIndex: adjustedRandIndex(table),
    normalizedMutualInformation: normalizedMutualInformation(table),
    insidersByRfm,
  };
}

/** The report from its inputs. Pure and deterministic (seeded bootstrap). */
export function buildReport(input: ReportInput, options: ReportOptions = DEFAULT_REPORT_OPTIONS): Report {
  const notes: string[] = [];
  const featuresBy = new Map(input.features.map((f) => [f.customerId, f]));
  const joined: Joined[] = [];
  let assignedWithoutFeatures = 0;
  for (const m of input.memberships) {
    const f = featuresBy.get(m.customerId);
    if (f) joined.push({ f, m });
    else assignedWithoutFeatures++;
  }
  if (assignedWithoutFeatures) notes.push(`${assignedWithoutFeatures} assigned customers have no features under policy ${input.policyName} and are left out.`);
  const assignedIds = new Set(input.memberships.map((m) => m.customerId));
  const unassigned = input.features.filter((f) => !assignedIds.has(f.customerId)).length;
  const totalRevenue = sum(input.features.map((f) => f.grossRevenue));
  const assignedRevenue = sum(joined.map((j) => j.f.grossRevenue));

  const names = new Map(input.segments.map((s) => [s.segmentId, s.name]));
  const segmentIds = [...new Set([...input.segments.map((s) => s.segmentId), ...joined.map((j) => j.m.segmentId)])];
  const insidersSegmentIds = new Set(input.segments.filter((s) => s.isInsiders).map((s) => s.segmentId));
  const bySegment = new Map<number, Joined[]>(segmentIds.map((id) => [id, []]));
  for (const j of joined) bySegment.get(j.m.segmentId)!.push(j);
  const profile = segmentIds
    .map((id) =>
      profileOf({ segmentId: id, name: names.get(id) ?? `segment ${id}`, isInsiders: insidersSegmentIds.has(id) }, bySegment.get(id)!, joined.length, assignedRevenue),
    )
    .sort((a, b) => Number(b.isInsiders) - Number(a.isInsiders) || b.meanRevenue - a.meanRevenue || a.segmentId - b.segmentId);

  const insiders = joined.filter((j) => j.m.isInsider);
  const rest = joined.filter((j) => !j.m.isInsider);
  const { rule, source } = findRule(input.model?.params);
  const eligibility: Eligibility = {
    insiders: insiders.length,
    share: joined.length ? insiders.length / joined.length : 0,
    segments: [...insidersSegmentIds].map((id) => ({
      segmentId: id,
      name: names.get(id) ?? `segment ${id}`,
      members: bySegment.get(id)?.length ?? 0,
      insiders: (bySegment.get(id) ?? []).filter((j) => j.m.isInsider).length,
    })),
    guardedOut: joined.filter((j) => insidersSegmentIds.has(j.m.segmentId) && !j.m.isInsider).length,
    rule,
    ruleSource: source,
  };
  if (source === 'default') notes.push('The active model does not record its Insiders rule; the documented default rule is shown.');

  const insidersVsRest: ComparisonRow[] = RULE_FEATURES.map((feature) => {
    const a = insiders.map((j) => j.f[feature] as number);
    const b = rest.map((j) => j.f[feature] as number);
    return {
      feature,
      label: FEATURE_LABELS[feature],
      insidersMean: mean(a),
      insidersMedian: median(a),
      restMean: mean(b),
      restMedian: median(b),
    };
  });

  const insidersRevenue = sum(insiders.map((j) => j.f.grossRevenue));
  const share = totalRevenue ? insidersRevenue / totalRevenue : 0;
  const customerShare = input.features.length ? insiders.length / input.features.length : 0;

  const insidersNames = eligibility.segments.map((s) => s.name);
  return {
    generatedAt: input.now.toISOString(),
    model: input.model
      ? {
          version: input.model.version,
          createdAt: input.model.createdAt,
          dataCutoff: input.model.dataCutoff,
          customers: input.model.customers,
          k: input.model.k,
          silhouette: input.model.silhouette,
          ariPrevious: input.model.ariPrevious,
        }
      : null,
    featurePolicy: input.policyName,
    population: { customers: input.features.length, assigned: joined.length, unassigned, revenue: totalRevenue },
    eligibility,
    profile,
    insidersVsRest,
    revenueShare: { insidersRevenue, totalRevenue, share, customerShare, concentration: customerShare ? share / customerShare : 0 },
    conditions: buildConditions(joined, rule, insidersNames, input.transitions),
    evidence: buildEvidence(
      insiders.map((j) => j.f),
      rest.map((j) => j.f),
      options,
    ),
    forecast: buildForecast(input.monthly, options),
    rfm: buildRfm(joined, input.rfm, names),
    notes,
  };
}
