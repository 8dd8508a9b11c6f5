import type { BacktestCase, Condition } from '@insiders/stats';

/** The business report, computed live from the tables (GET /v1/report; GET /v1/report.md renders the same object). */
export interface Report {
  generatedAt: string;
  model: ReportModel | null;
  featurePolicy: string;
  population: {
    /** Customers the feature policy keeps (at least one purchase). */
    customers: number;
    /** Customers with a current membership. */
    assigned: number;
    /** Customers with features but no membership yet (arrived since the last assignment). */
    unassigned: number;
    revenue: number;
  };
  eligibility: Eligibility;
  /** Segment profile table (live from features x memberships), Insiders segments first, then by mean revenue. */
  profile: ProfileRow[];
  /** Insiders vs every other assigned customer, feature by feature. */
  insidersVsRest: ComparisonRow[];
  revenueShare: {
    insidersRevenue: number;
    totalRevenue: number;
    /** Insiders' share of gross revenue. */
    share: number;
    /** Insiders' share of customers. */
    customerShare: number;
    /** Revenue share / customer share: how many times their weight in customers they weigh in revenue. */
    concentration: number;
  };
  conditions: Conditions;
  evidence: Evidence[];
  forecast: ForecastSection;
  rfm: RfmSection;
  notes: string[];
}

export interface ReportModel {
  version: number;
  createdAt: string;
  dataCutoff: string;
  customers: number;
  k: number;
  silhouette: number;
  ariPrevious: number | null;
}

export interface Eligibility {
  insiders: number;
  /** Of assigned customers. */
  share: number;
  /** The segments the Insiders rule selected. */
  segments: { segmentId: number; name: string; members: number; insiders: number }[];
  /** Members of an Insiders segment who fail a customer guard (e.g. a single invoice): not Insiders. */
  guardedOut: number;
  rule: Record<string, number>;
  /** Whether `rule` came from the active model's parameters or is the documented default. */
  ruleSource: 'model' | 'default';
}

export interface ProfileRow {
  segmentId: number;
  name: string;
  isInsiders: boolean;
  customers: number;
  /** Of assigned customers. */
  share: number;
  /** Of assigned customers' revenue. */
  revenueShare: number;
  meanRevenue: number;
  medianRevenue: number;
  meanRecencyDays: number;
  meanFrequency: number;
  meanInvoices: number;
  meanItems: number;
  meanProducts: number;
  meanReturns: number;
  meanTicket: number;
}

export interface ComparisonRow {
  feature: ReportFeature;
  label: string;
  insidersMean: number;
  insidersMedian: number;
  restMean: number;
  restMedian: number;
}

export type ReportFeature =
  | 'grossRevenue'
  | 'recencyDays'
  | 'invoices'
  | 'frequency'
  | 'items'
  | 'products'
  | 'returns'
  | 'averageTicket';

export interface Conditions {
  /** The documented Insiders rule in words (segment selection + customer guards). */
  rule: string[];
  /**
   * Feature thresholds that reproduce today's Insiders (a readable surrogate of the model, learned on the current
   * assignment) with its fidelity: a customer meeting every condition is an Insider with probability `precision`.
   */
  enter: {
    conditions: (Condition & { label: string; text: string })[];
    precision: number;
    recall: number;
    f1: number;
  };
  /** What makes an Insider leave: any guard or threshold failing, stated per condition. */
  leave: string[];
  /** Observed entries and exits in the membership history. */
  observed: { entered: number; exited: number; first: string | null; last: string | null };
}

export interface Evidence {
  feature: ReportFeature;
  label: string;
  insiders: { n: number; mean: number; median: number };
  rest: { n: number; mean: number; median: number };
  welch: { t: number; df: number; pValue: number; difference: number; ci: [number, number] };
  mannWhitney: { u: number; z: number; pValue: number; probabilityOfSuperiority: number; cliffsDelta: number };
  bootstrapMedian: { estimate: number; ci: [number, number]; resamples: number; seed: number };
  confidence: number;
  /** One sentence a reader can quote. */
  conclusion: string;
}

export interface ForecastSection {
  available: boolean;
  reason?: string;
  method: string;
  /** Monthly Insiders (today's cohort) and total revenue; `complete` is false for a month the data only partly covers. */
  history: { month: string; insidersRevenue: number; totalRevenue: number; complete: boolean }[];
  level: number;
  /** The configured procedure (`auto` selects by cross-validation inside the fitted months) and the method it used. */
  procedure: 'auto' | 'naive' | 'drift' | 'holt-damped';
  model?: 'naive' | 'drift' | 'holt-damped';
  /** With `auto`: mean absolute one-step error of each candidate over rolling origins inside the fitted months. */
  selection?: { scores: Record<string, number>; origins: number };
  params?: { alpha: number; beta: number; phi: number };
  points: { month: string; mean: number; lower: number; upper: number; actualToDate?: number }[];
  backtest?: {
    holdout: number;
    oneStep: BacktestBlock;
    multiStep: BacktestBlock;
  };
  /** The same hold-out validation for every method, for comparison (the procedure is not chosen from it). */
  comparison?: { method: string; oneStepMape: number; multiStepMape: number; oneStepCoverage: number; multiStepCoverage: number }[];
  caveats: string[];
}

export interface BacktestBlock {
  mape: number;
  naiveMape: number;
  coverage: number;
  cases: (BacktestCase & { month: string })[];
}

export interface RfmSection {
  available: boolean;
  /** Customers with both an ML segment and an RFM segment. */
  n: number;
  mlSegments: string[];
  rfmSegments: string[];
  /** counts[i][j]: customers in ML segment mlSegments[i] and RFM segment rfmSegments[j]. */
  counts: number[][];
  adjustedRandIndex: number;
  normalizedMutualInformation: number;
  /** Share of Insiders in each RFM segment. */
  insidersByRfm: { segment: string; insiders: number; share: number }[];
}
