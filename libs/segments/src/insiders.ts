import type { CustomerFacts, SegmentProfile } from './profile';

/**
 * The Insiders rule.
 *
 * Selection (run over the model's clusters by `segmentClusters`; the selected clusters form the Insiders segment):
 * candidates are ranked by mean revenue (highest first). A candidate is *eligible* when its mean recency is at most
 * `maxSegmentRecencyDays` and its size at least `minSegmentSize`. Eligible candidates are taken in rank order while
 * the customers they cover stay within `maxShare`, until they cover at least `minShare`; one that would exceed
 * `maxShare` is skipped and the next one tried. If the first eligible candidate alone exceeds `maxShare`, it is still
 * taken (so Insiders always exist when any candidate is eligible) and the result says so.
 *
 * Customer guards: a member of an Insiders segment is an Insider only if they have at least `minInvoices` purchase
 * invoices, bought within `maxRecencyDays`, and spent at least `minRevenue`. Guards on facts a feature set lacks
 * are skipped.
 *
 * The default aims at the seeds' profile: 8–17 % of customers, holding over half the revenue.
 */
export interface InsidersRule {
  minShare: number;
  maxShare: number;
  maxSegmentRecencyDays: number;
  minSegmentSize: number;
  minInvoices: number;
  maxRecencyDays: number;
  minRevenue: number;
}

export const DEFAULT_INSIDERS_RULE: InsidersRule = {
  minShare: 0.08,
  maxShare: 0.17,
  maxSegmentRecencyDays: 90,
  minSegmentSize: 5,
  minInvoices: 2,
  maxRecencyDays: 180,
  minRevenue: 0,
};

export function parseInsidersRule(json: string | undefined): InsidersRule {
  if (!json) return DEFAULT_INSIDERS_RULE;
  const rule: InsidersRule = { ...DEFAULT_INSIDERS_RULE, ...(JSON.parse(json) as Partial<InsidersRule>) };
  for (const [k, v] of Object.entries(rule)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new Error(`insiders rule: ${k} must be a number >= 0`);
  }
  if (!(rule.minShare <= rule.maxShare && rule.maxShare <= 1)) throw new Error('insiders rule: need minShare <= maxShare <= 1');
  return rule;
}

export interface InsidersCandidate {
  id: number;
  eligible: boolean;
  taken: boolean;
  reason: string;
}

export interface InsidersSelection {
  ids: number[];
  /** Share of customers in the selected segments (before customer guards). */
  share: number;
  oversized: boolean;
  candidates: InsidersCandidate[];
}

export function selectInsiders(segments: readonly { id: number; profile: SegmentProfile }[], rule: InsidersRule = DEFAULT_INSIDERS_RULE): InsidersSelection {
  const ranked = [...segments].sort((a, b) => b.profile.meanRevenue - a.profile.meanRevenue || a.id - b.id);
  const ids: number[] = [];
  let share = 0;
  let oversized = false;
  const candidates: InsidersCandidate[] = [];
  for (const { id, profile } of ranked) {
    const problems: string[] = [];
    if (profile.meanRecency > rule.maxSegmentRecencyDays) problems.push(`mean recency ${profile.meanRecency.toFixed(1)} d > ${rule.maxSegmentRecencyDays} d`);
    if (profile.size < rule.minSegmentSize) problems.push(`size ${profile.size} < ${rule.minSegmentSize}`);
    const eligible = problems.length === 0;
    let taken = false;
    let reason = problems.join('; ');
    if (eligible) {
      if (share >= rule.minShare) reason = `minimum share ${rule.minShare} already reached`;
      else if (share + profile.share <= rule.maxShare + 1e-12) {
        taken = true;
        reason = `rank by mean revenue, cumulative share ${(share + profile.share).toFixed(3)}`;
      } else if (ids.length === 0) {
        taken = true;
        oversized = true;
        reason = `first eligible segment, larger than maxShare ${rule.maxShare}`;
      } else reason = `would exceed maxShare ${rule.maxShare}`;
    }
    if (taken) {
      ids.push(id);
      share += profile.share;
    }
    candidates.push({ id, eligible, taken, reason });
  }
  return { ids, share, oversized, candidates };
}

export interface GuardCheck {
  guard: 'minInvoices' | 'maxRecencyDays' | 'minRevenue';
  required: number;
  actual: number;
  passed: boolean;
}

export function customerGuards(c: CustomerFacts, rule: InsidersRule = DEFAULT_INSIDERS_RULE): GuardCheck[] {
  const checks: GuardCheck[] = [];
  if (c.invoices !== undefined) checks.push({ guard: 'minInvoices', required: rule.minInvoices, actual: c.invoices, passed: c.invoices >= rule.minInvoices });
  checks.push({ guard: 'maxRecencyDays', required: rule.maxRecencyDays, actual: c.recencyDays, passed: c.recencyDays <= rule.maxRecencyDays });
  checks.push({ guard: 'minRevenue', required: rule.minRevenue, actual: c.revenue, passed: c.revenue >= rule.minRevenue });
  return checks;
}

/** Whether a customer of segment `segmentId` is an Insider under the selection and the customer guards. */
export function isInsider(c: CustomerFacts, segmentId: number, insidersIds: readonly number[], rule: InsidersRule = DEFAULT_INSIDERS_RULE): boolean {
  return insidersIds.includes(segmentId) && customerGuards(c, rule).every((g) => g.passed);
}
