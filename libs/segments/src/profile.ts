import type { CustomerFeatures } from '@insiders/features-core';
/**
 * The customer facts the segment logic reads (a subset of the features service's per-customer features, named
 * independently of its column names). Optional facts are those a feature set may lack; a missing fact is NaN-free:
 * it is simply left out of the means it would feed.
 */
export interface CustomerFacts {
  customerId: string;
  /** Gross revenue over purchases. */
  revenue: number;
  /** Days since the last purchase (reference = latest event time). */
  recencyDays: number;
  frequency?: number;
  /** Returned items (count). */
  returns?: number;
  /** Distinct purchase invoices. */
  invoices?: number;
  items?: number;
  products?: number;
  avgTicket?: number;
}

/** A customer's facts (what segments are profiled and explained by) from their features. */
export function factsFromFeatures(f: CustomerFeatures): CustomerFacts {
  return {
    customerId: f.customerId,
    revenue: f.grossRevenue,
    recencyDays: f.recencyDays,
    frequency: f.frequency,
    returns: f.returns,
    invoices: f.invoices,
    items: f.items,
    products: f.products,
    avgTicket: f.averageTicket,
  };
}

export const PROFILE_FACTS = ['revenue', 'recencyDays', 'frequency', 'returns', 'invoices', 'items', 'products', 'avgTicket'] as const;
export type ProfileFact = (typeof PROFILE_FACTS)[number];

export interface SegmentProfile {
  size: number;
  /** Of customers. */
  share: number;
  /** Of gross revenue. */
  revenueShare: number;
  meanRevenue: number;
  medianRevenue: number;
  meanRecency: number;
  medianRecency: number;
  meanFrequency: number;
  meanReturns: number;
  meanInvoices: number;
  meanItems: number;
  meanProducts: number;
  meanTicket: number;
  /** Mean and standard deviation of every fact present, for explanations and centroid matching. */
  mean: Partial<Record<ProfileFact, number>>;
  std: Partial<Record<ProfileFact, number>>;
}

export function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Quantile with linear interpolation (numpy's default). */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  const pos = (s.length - 1) * Math.min(1, Math.max(0, q));
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/** Profiles of groups 0..groups-1 given each customer's group (labels[i] < 0 = in no group). */
export function profileGroups(facts: readonly CustomerFacts[], labels: ArrayLike<number>, groups: number): SegmentProfile[] {
  if (facts.length !== labels.length) throw new Error(`profileGroups: ${facts.length} customers vs ${labels.length} labels`);
  const members: CustomerFacts[][] = Array.from({ length: groups }, () => []);
  let total = 0;
  let totalRevenue = 0;
  for (let i = 0; i < facts.length; i++) {
    const g = labels[i]!;
    if (g < 0) continue;
    if (g >= groups) throw new Error(`profileGroups: label ${g} out of range 0..${groups - 1}`);
    members[g]!.push(facts[i]!);
    total++;
    totalRevenue += facts[i]!.revenue;
  }
  return members.map((m) => profileOf(m, total, totalRevenue));
}

export function profileOf(members: readonly CustomerFacts[], total: number, totalRevenue: number): SegmentProfile {
  const mean: Partial<Record<ProfileFact, number>> = {};
  const std: Partial<Record<ProfileFact, number>> = {};
  for (const f of PROFILE_FACTS) {
    const vals = members.map((c) => c[f]).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    if (vals.length === 0) continue;
    const mu = vals.reduce((s, v) => s + v, 0) / vals.length;
    mean[f] = mu;
    std[f] = Math.sqrt(vals.reduce((s, v) => s + (v - mu) ** 2, 0) / vals.length);
  }
  const revenue = members.reduce((s, c) => s + c.revenue, 0);
  return {
    size: members.length,
    share: total ? members.length / total : 0,
    revenueShare: totalRevenue ? revenue / totalRevenue : 0,
    meanRevenue: mean.revenue ?? 0,
    medianRevenue: median(members.map((c) => c.revenue)),
    meanRecency: mean.recencyDays ?? 0,
    medianRecency: median(members.map((c) => c.recencyDays)),
    meanFrequency: mean.frequency ?? 0,
    meanReturns: mean.returns ?? 0,
    meanInvoices: mean.invoices ?? 0,
    meanItems: mean.items ?? 0,
    meanProducts: mean.products ?? 0,
    meanTicket: mean.avgTicket ?? 0,
    mean,
    std,
  };
}

/**
 * Centroid of a profile in a standardised space (each fact's mean divided by the population's standard deviation,
 * log1p for the heavy-tailed money/count facts), for centroid-distance matching between models.
 */
export function standardisedCentroid(profile: SegmentProfile, population: SegmentProfile): number[] {
  const out: number[] = [];
  for (const f of PROFILE_FACTS) {
    const mu = profile.mean[f];
    const pm = population.mean[f];
    const ps = population.std[f];
    if (mu === undefined || pm === undefined || ps === undefined) continue;
    out.push(ps > 0 ? (mu - pm) / ps : 0);
  }
  return out;
}
