import {
  adjustedRandIndex,
  isInsider,
  matchSegments,
  profileGroups,
  profileOf,
  segmentClusters,
  standardisedCentroid,
  type CustomerFacts,
  type InsidersRule,
  type InsidersSelection,
  type Lineage,
  type MatchOptions,
  type NamingRule,
  type SegmentOrigin,
  type SegmentProfile,
} from '@insiders/segments';

/**
 * From a fit's clusters to the model's business segments (pure): name and merge clusters (naming rule), give the
 * segments stable ids against the previous model (Hungarian matching on members and centroids), choose the
 * Insiders (Insiders rule) and compute every customer's membership.
 */
export interface PreviousSegmentation {
  version: number;
  segments: readonly { id: number; name: string; centroid: readonly number[] }[];
  /** Current segment of each customer (any model version). */
  memberships: ReadonlyMap<string, { segmentId: number }>;
  /** Lowest id never used so far. */
  nextFreshId: number;
}

export interface BuiltSegment {
  id: number;
  name: string;
  isInsiders: boolean;
  clusters: number[];
  profile: SegmentProfile;
  centroid: number[];
  origin: SegmentOrigin;
  parents: number[];
}

export interface BuiltSegmentation {
  segments: BuiltSegment[];
  /** Model cluster index → segment id. */
  clusterToSegment: number[];
  /** Per customer (same order as the input): segment id and Insider flag. */
  segmentIds: Int32Array;
  insiderFlags: Uint8Array;
  /** The Insiders rule's decision: `ids` are the Insiders segment ids; candidates / share refer to model clusters. */
  insiders: InsidersSelection;
  population: SegmentProfile;
  lineage: Lineage | null;
  /** Adjusted Rand index between the previous and the new segments over the customers in both. */
  ariPrevious: number | null;
  nextFreshId: number;
}

export interface BuildInput {
  facts: readonly CustomerFacts[];
  clusterLabels: ArrayLike<number>;
  k: number;
  previous: PreviousSegmentation | null;
  naming: NamingRule;
  insidersRule: InsidersRule;
  matchOptions?: Partial<MatchOptions>;
}

export function buildSegmentation(input: BuildInput): BuiltSegmentation {
  const { facts, clusterLabels, k, previous } = input;
  const n = facts.length;
  const totalRevenue = facts.reduce((s, c) => s + c.revenue, 0);
  const population = profileOf(facts, n, totalRevenue);
  const clusterProfiles = profileGroups(facts, clusterLabels, k);
  const naming = segmentClusters(clusterProfiles, facts, input.naming, input.insidersRule);
  const groupLabels = Int32Array.from(clusterLabels, (c) => naming.clusterToGroup[c]!);
  const groupProfiles = profileGroups(facts, groupLabels, naming.groups.length);
  const centroids = groupProfiles.map((p) => standardisedCentroid(p, population));

  const prevIds = previous ? previous.segments.map((s) => s.id) : [];
  const prevIdSet = new Set(prevIds);
  const previousLabels = facts.map((c) => {
    const m = previous?.memberships.get(c.customerId);
    return m && prevIdSet.has(m.segmentId) ? m.segmentId : null;
  });
  const match = matchSegments(
    {
      previousIds: prevIds,
      nextCount: naming.groups.length,
      previousLabels,
      nextLabels: Array.from(groupLabels),
      previousCentroids: previous ? new Map(previous.segments.map((s) => [s.id, s.centroid])) : undefined,
      nextCentroids: centroids,
      nextFreshId: previous?.nextFreshId ?? 1,
    },
    input.matchOptions,
  );

  const prevName = new Map(previous?.segments.map((s) => [s.id, s.name]) ?? []);
  const insidersName = input.naming.insidersName;
  const used = new Set<string>();
  // Survivors first, so they keep their names (the Insiders segment is always named by the rule, and a segment
  // that is no longer Insiders loses that name); then the rest take the rule's name, de-duplicated.
  const survives = (o: SegmentOrigin): boolean => o === 'survived' || o === 'merged';
  const order = [...match.segments].sort((a, b) => Number(survives(b.origin)) - Number(survives(a.origin)) || a.index - b.index);
  const names = new Array<string>(naming.groups.length);
  for (const m of order) {
    const group = naming.groups[m.index]!;
    const previousName = survives(m.origin) ? prevName.get(m.id) : undefined;
    const kept = previousName !== undefined && (previousName === insidersName) === group.isInsiders ? previousName : undefined;
    let name = kept ?? group.name;
    if (used.has(name)) name = `${name} (${m.id})`;
    used.add(name);
    names[m.index] = name;
  }

  const insiderIds = match.segments.filter((m) => naming.groups[m.index]!.isInsiders).map((m) => m.id);
  const insiders: InsidersSelection = { ...naming.insiders, ids: insiderIds };
  const segments: BuiltSegment[] = match.segments.map((m) => ({
    id: m.id,
    name: names[m.index]!,
    isInsiders: naming.groups[m.index]!.isInsiders,
    clusters: naming.groups[m.index]!.clusters,
    profile: groupProfiles[m.index]!,
    centroid: centroids[m.index]!,
    origin: m.origin,
    parents: m.parents,
  }));
  const clusterToSegment = naming.clusterToGroup.map((g) => (g >= 0 ? match.segments[g]!.id : -1));
  const segmentIds = Int32Array.from(groupLabels, (g) => match.segments[g]!.id);
  const insiderFlags = Uint8Array.from(facts, (c, i) => (isInsider(c, segmentIds[i]!, insiders.ids, input.insidersRule) ? 1 : 0));

  let ariPrevious: number | null = null;
  if (previous) {
    const a: number[] = [];
    const b: number[] = [];
    previousLabels.forEach((p, i) => {
      if (p === null) return;
      a.push(p);
      b.push(segmentIds[i]!);
    });
    ariPrevious = a.length >= 2 ? adjustedRandIndex(a, b) : null;
  }
  return {
    segments,
    clusterToSegment,
    segmentIds,
    insiderFlags,
    insiders,
    population,
    lineage: previous ? match.lineage : null,
    ariPrevious,
    nextFreshId: match.nextFreshId,
  };
}
