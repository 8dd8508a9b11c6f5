import { quantile, type CustomerFacts, type SegmentProfile } from './profile';

/**
 * The business naming/merging rule: turns the model's clusters into a few named business segments.
 *
 * 1. The `keepTop` clusters with the highest mean revenue are kept as segments of their own, named `topNames` in
 *    order (then "Top N").
 * 2. Every other cluster is placed in a band by comparing its *median* revenue with the population's revenue
 *    quantile `revenueQuantile` (high / low) and its *median* recency with the population's recency quantiles
 *    `recencyQuantiles` (recent ≤ q1 < mid ≤ q2 < old). The first group whose bands match takes the cluster;
 *    clusters in the same group are merged into one segment. No match → `fallback`.
 * Empty groups produce no segment. The default reproduces the seed's eight names.
 */
export type RevenueBand = 'high' | 'low' | 'any';
export type RecencyBand = 'recent' | 'mid' | 'old' | 'any';

export interface NamingRule {
  /** Name of the segment formed by the clusters the Insiders rule selects (see `segmentClusters`). */
  insidersName: string;
  keepTop: number;
  topNames: string[];
  revenueQuantile: number;
  recencyQuantiles: [number, number];
  groups: { name: string; revenue: RevenueBand; recency: RecencyBand }[];
  fallback: string;
}

export const DEFAULT_NAMING_RULE: NamingRule = {
  insidersName: 'Insiders',
  keepTop: 2,
  topNames: ['Elite Spenders', 'Loyal High Spenders'],
  revenueQuantile: 0.5,
  recencyQuantiles: [1 / 3, 2 / 3],
  groups: [
    { name: 'Engaged', revenue: 'high', recency: 'recent' },
    { name: 'Occasional', revenue: 'low', recency: 'recent' },
    { name: 'Average', revenue: 'high', recency: 'mid' },
    { name: 'Dormant', revenue: 'low', recency: 'mid' },
    { name: 'Fading', revenue: 'high', recency: 'old' },
    { name: 'Lost', revenue: 'low', recency: 'old' },
  ],
  fallback: 'Average',
};

export interface BusinessGroup {
  name: string;
  /** Model cluster indices merged into this segment. */
  clusters: number[];
}

export interface NamingResult {
  groups: BusinessGroup[];
  /** clusterToGroup[c] = index into `groups`, or -1 for an empty cluster. */
  clusterToGroup: number[];
}

/** Validates a rule given as JSON (configuration), filling defaults for missing fields. */
export function parseNamingRule(json: string | undefined): NamingRule {
  if (!json) return DEFAULT_NAMING_RULE;
  const raw = JSON.parse(json) as Partial<NamingRule>;
  const rule: NamingRule = { ...DEFAULT_NAMING_RULE, ...raw };
  if (!rule.insidersName) throw new Error('naming rule: insidersName must not be empty');
  if (!Number.isInteger(rule.keepTop) || rule.keepTop < 0) throw new Error(`naming rule: keepTop must be an integer >= 0`);
  if (!(rule.revenueQuantile > 0 && rule.revenueQuantile < 1)) throw new Error('naming rule: revenueQuantile must be in (0, 1)');
  const [q1, q2] = rule.recencyQuantiles;
  if (!(q1 > 0 && q1 <= q2 && q2 < 1)) throw new Error('naming rule: recencyQuantiles must satisfy 0 < q1 <= q2 < 1');
  for (const g of rule.groups) {
    if (!g.name || !['high', 'low', 'any'].includes(g.revenue) || !['recent', 'mid', 'old', 'any'].includes(g.recency)) {
      throw new Error(`naming rule: invalid group ${JSON.stringify(g)}`);
    }
  }
  return rule;
}

export function nameClusters(
  clusters: readonly SegmentProfile[],
  population: readonly CustomerFacts[],
  rule: NamingRule = DEFAULT_NAMING_RULE,
): NamingResult {
  const revenueCut = quantile(
    population.map((c) => c.revenue),
    rule.revenueQuantile,
  );
  const recency = population.map((c) => c.recencyDays);
  const recentCut = quantile(recency, rule.recencyQuantiles[0]);
  const oldCut = quantile(recency, rule.recencyQuantiles[1]);

  const nonEmpty = clusters.map((p, i) => ({ p, i })).filter(({ p }) => p.size > 0);
  const byRevenue = [...nonEmpty].sort((a, b) => b.p.meanRevenue - a.p.meanRevenue || a.i - b.i);
  const top = byRevenue.slice(0, rule.keepTop);

  const groups: BusinessGroup[] = top.map(({ i }, r) => ({ name: rule.topNames[r] ?? `Top ${r + 1}`, clusters: [i] }));
  const clusterToGroup = new Array<number>(clusters.length).fill(-1);
  top.forEach(({ i }, r) => (clusterToGroup[i] = r));

  const byName = new Map<string, number>();
  for (const { p, i } of nonEmpty) {
    if (clusterToGroup[i]! >= 0) continue;
    const rev: RevenueBand = p.medianRevenue > revenueCut ? 'high' : 'low';
    const rec: RecencyBand = p.medianRecency <= recentCut ? 'recent' : p.medianRecency <= oldCut ? 'mid' : 'old';
    const match = rule.groups.find((g) => (g.revenue === 'any' || g.revenue === rev) && (g.recency === 'any' || g.recency === rec));
    let name = match?.name ?? rule.fallback;
    // A rule group must not silently merge into a kept top segment that happens to share its name.
    if (groups.some((g, gi) => gi < top.length && g.name === name)) name = `${name} (rest)`;
    let gi = byName.get(name);
    if (gi === undefined) {
      gi = groups.length;
      byName.set(name, gi);
      groups.push({ name, clusters: [] });
    }
    groups[gi]!.clusters.push(i);
    clusterToGroup[i] = gi;
  }
  return { groups, clusterToGroup };
}
