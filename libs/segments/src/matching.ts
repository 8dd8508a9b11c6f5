import { hungarian } from './hungarian';

/**
 * Stable segment identities across refits.
 *
 * The new model's segments (indices 0..k-1) are matched one-to-one to the previous model's segment ids by a
 * Hungarian assignment that minimises `overlapWeight·(1 − Jaccard(members)) + (1 − overlapWeight)·(centroid distance
 * / largest distance)`. A pair is kept when its member Jaccard reaches `minJaccard` (or, with no common customers at
 * all, when its normalised centroid distance is at most `maxCentroidDistance`). Kept pairs are survivors and keep the
 * previous id; every other new segment gets a fresh id (ids are never reused).
 *
 * Lineage, with "a significant share" meaning ≥ `parentShare` of a previous segment's (common) members:
 *  - survived: matched pair; `merged` instead when other previous segments also sent a significant share into it.
 *  - split: an unmatched new segment that received a significant share of one or more previous segments.
 *  - born: an unmatched new segment with no significant parent.
 *  - died: an unmatched previous segment that sent no significant share anywhere; otherwise it merged into the
 *    segments that received it.
 */
export interface MatchOptions {
  overlapWeight: number;
  minJaccard: number;
  maxCentroidDistance: number;
  parentShare: number;
}

export const DEFAULT_MATCH_OPTIONS: MatchOptions = {
  overlapWeight: 0.8,
  minJaccard: 0.1,
  maxCentroidDistance: 0.25,
  parentShare: 0.2,
};

export interface MatchInput {
  /** Ids of every segment of the previous model (also those with no remaining member). */
  previousIds: readonly number[];
  /** Number of segments of the new model. */
  nextCount: number;
  /**
   * Per customer present in the new fit: previous segment id (or null when the customer was not a member before)
   * and new segment index. Aligned arrays.
   */
  previousLabels: readonly (number | null)[];
  nextLabels: readonly number[];
  /** Optional centroids in one common (e.g. standardised feature) space. */
  previousCentroids?: ReadonlyMap<number, readonly number[]>;
  nextCentroids?: readonly (readonly number[])[];
  /** First id to hand out to new segments (≥ every id ever used). */
  nextFreshId: number;
}

export type SegmentOrigin = 'survived' | 'born' | 'split' | 'merged';

export interface MatchedSegment {
  index: number;
  id: number;
  origin: SegmentOrigin;
  /** Previous segment ids that sent a significant share of their members here (incl. the matched one). */
  parents: number[];
  /** Jaccard overlap with the matched previous segment (0 for new ids). */
  jaccard: number;
}

export interface Lineage {
  survived: { id: number; jaccard: number }[];
  splits: { from: number; into: number[] }[];
  merges: { from: number[]; into: number }[];
  born: number[];
  died: number[];
}

export interface MatchResult {
  /** One entry per new segment index, in index order. */
  segments: MatchedSegment[];
  lineage: Lineage;
  /** Overlap counts: overlap[p][n] for previousIds[p] and new index n. */
  overlap: number[][];
  nextFreshId: number;
}

export function matchSegments(input: MatchInput, options: Partial<MatchOptions> = {}): MatchResult {
  const opts = { ...DEFAULT_MATCH_OPTIONS, ...options };
  const { previousIds, nextCount, previousLabels, nextLabels } = input;
  if (previousLabels.length !== nextLabels.length) {
    throw new Error(`matchSegments: ${previousLabels.length} previous labels vs ${nextLabels.length} new labels`);
  }
  const prevIndex = new Map(previousIds.map((id, i) => [id, i]));
  const P = previousIds.length;
  const overlap = Array.from({ length: P }, () => new Array<number>(nextCount).fill(0));
  const prevSize = new Array<number>(P).fill(0);
  const nextSize = new Array<number>(nextCount).fill(0);
  for (let i = 0; i < nextLabels.length; i++) {
    const n = nextLabels[i]!;
    if (!(n >= 0 && n < nextCount)) throw new Error(`matchSegments: new label ${n} out of range 0..${nextCount - 1}`);
    const prevId = previousLabels[i];
    if (prevId === null || prevId === undefined) continue;
    const p = prevIndex.get(prevId);
    if (p === undefined) throw new Error(`matchSegments: previous label ${prevId} is not among previousIds`);
    overlap[p]![n]!++;
    prevSize[p]!++;
    nextSize[n]!++;
  }
  const jaccard = (p: number, n: number): number => {
    const o = overlap[p]![n]!;
    const u = prevSize[p]! + nextSize[n]! - o;
    return u === 0 ? 0 : o / u;
  };

  // Centroid distances normalised by the largest one (0..1), when both sides have centroids.
  let dist: number[][] | null = null;
  if (input.previousCentroids && input.nextCentroids) {
    const raw = previousIds.map((id) =>
      Array.from({ length: nextCount }, (_, n) => {
        const a = input.previousCentroids!.get(id);
        const b = input.nextCentroids![n];
        if (!a || !b) return NaN;
        let s = 0;
        for (let d = 0; d < Math.min(a.length, b.length); d++) s += (a[d]! - b[d]!) ** 2;
        return Math.sqrt(s);
      }),
    );
    const max = Math.max(0, ...raw.flat().filter(Number.isFinite));
    dist = raw.map((r) => r.map((d) => (Number.isFinite(d) ? (max > 0 ? d / max : 0) : 1)));
  }
  const w = dist ? opts.overlapWeight : 1;
  const cost = previousIds.map((_, p) =>
    Array.from({ length: nextCount }, (_, n) => w * (1 - jaccard(p, n)) + (dist ? (1 - w) * dist[p]![n]! : 0)),
  );
  const assignment = P > 0 && nextCount > 0 ? hungarian(cost) : new Array<number>(P).fill(-1);
  const anyCommon = prevSize.some((s) => s > 0);

  const matchedPrevOf = new Array<number>(nextCount).fill(-1);
  assignment.forEach((n, p) => {
    if (n < 0) return;
    const keep = anyCommon ? jaccard(p, n) >= opts.minJaccard : dist !== null && dist[p]![n]! <= opts.maxCentroidDistance;
    if (keep) matchedPrevOf[n] = p;
  });

  const significant = (p: number, n: number): boolean =>
    prevSize[p]! > 0 && overlap[p]![n]! / prevSize[p]! >= opts.parentShare;

  let fresh = Math.max(input.nextFreshId, ...previousIds.map((id) => id + 1));
  const segments: MatchedSegment[] = [];
  for (let n = 0; n < nextCount; n++) {
    const parents: number[] = [];
    for (let p = 0; p < P; p++) if (significant(p, n) || matchedPrevOf[n] === p) parents.push(previousIds[p]!);
    const mp = matchedPrevOf[n]!;
    if (mp >= 0) {
      segments.push({
        index: n,
        id: previousIds[mp]!,
        origin: parents.length > 1 ? 'merged' : 'survived',
        parents,
        jaccard: jaccard(mp, n),
      });
    } else {
      segments.push({ index: n, id: fresh++, origin: parents.length > 0 ? 'split' : 'born', parents, jaccard: 0 });
    }
  }

  const lineage: Lineage = { survived: [], splits: [], merges: [], born: [], died: [] };
  for (const s of segments) {
    if (s.origin === 'survived' || s.origin === 'merged') lineage.survived.push({ id: s.id, jaccard: s.jaccard });
    if (s.origin === 'born') lineage.born.push(s.id);
    if (s.parents.length > 1) lineage.merges.push({ from: s.parents, into: s.id });
  }
  for (let p = 0; p < P; p++) {
    const into = segments.filter((s) => significant(p, s.index)).map((s) => s.id);
    const matched = matchedPrevOf.includes(p);
    if (into.length > 1) lineage.splits.push({ from: previousIds[p]!, into });
    if (!matched && into.length === 0) lineage.died.push(previousIds[p]!);
    if (!matched && into.length === 1 && !lineage.merges.some((m) => m.into === into[0])) {
      lineage.merges.push({ from: [previousIds[p]!], into: into[0]! });
    }
  }
  return { segments, lineage, overlap, nextFreshId: fresh };
}
