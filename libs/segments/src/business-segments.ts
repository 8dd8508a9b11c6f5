import { selectInsiders, type InsidersRule, type InsidersSelection } from './insiders';
import { nameClusters, type NamingRule } from './naming';
import type { CustomerFacts, SegmentProfile } from './profile';

/**
 * From the model's clusters to business segments, in two documented steps:
 *  1. Insiders: the Insiders rule (`selectInsiders`) runs over the *clusters* — highest mean revenue first, eligible
 *     clusters (recent enough, large enough) taken until they cover `minShare` of customers without exceeding
 *     `maxShare` — and the selected clusters form one segment named `naming.insidersName`.
 *  2. The remaining clusters are named and merged by the naming rule (`nameClusters`: keep the top ones by mean
 *     revenue, merge the rest by revenue/recency bands).
 * Group 0 is the Insiders segment when any cluster was selected.
 */
export interface SegmentGroup {
  name: string;
  clusters: number[];
  isInsiders: boolean;
}

export interface BusinessSegmentation {
  groups: SegmentGroup[];
  /** clusterToGroup[c] = index into `groups`, -1 for an empty cluster. */
  clusterToGroup: number[];
  /** The Insiders rule's decision over clusters (candidate ids are cluster indices). */
  insiders: InsidersSelection;
}

export function segmentClusters(
  clusters: readonly SegmentProfile[],
  population: readonly CustomerFacts[],
  naming: NamingRule,
  insidersRule: InsidersRule,
): BusinessSegmentation {
  const nonEmpty = clusters.map((profile, id) => ({ id, profile })).filter((c) => c.profile.size > 0);
  const insiders = selectInsiders(nonEmpty, insidersRule);
  const insiderSet = new Set(insiders.ids);
  const rest = clusters.map((p, i) => (insiderSet.has(i) ? { ...p, size: 0 } : p));
  const named = nameClusters(rest, population, naming);
  const groups: SegmentGroup[] = [];
  const clusterToGroup = new Array<number>(clusters.length).fill(-1);
  if (insiders.ids.length) {
    groups.push({ name: naming.insidersName, clusters: [...insiders.ids].sort((a, b) => a - b), isInsiders: true });
    for (const c of insiders.ids) clusterToGroup[c] = 0;
  }
  const offset = groups.length;
  for (const g of named.groups) {
    const name = g.name === naming.insidersName ? `${g.name} (rest)` : g.name;
    groups.push({ name, clusters: g.clusters, isInsiders: false });
  }
  named.clusterToGroup.forEach((g, c) => {
    if (g >= 0) clusterToGroup[c] = g + offset;
  });
  return { groups, clusterToGroup, insiders };
}
