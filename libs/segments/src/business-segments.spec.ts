import { segmentClusters } from './business-segments';
import { DEFAULT_INSIDERS_RULE } from './insiders';
import { DEFAULT_NAMING_RULE } from './naming';
import { profileGroups, type CustomerFacts } from './profile';

describe('segmentClusters', () => {
  // [customers, revenue, recency days]
  const spec: [number, number, number][] = [
    [60, 9_000, 10], // 0 richest, recent          -> Insiders
    [50, 6_000, 20], // 1 second, recent           -> Insiders (cumulative 110 / 1000 = 11 %)
    [40, 5_000, 200], // 2 rich but not recent     -> not eligible -> Elite Spenders (top by revenue of the rest)
    [100, 3_000, 15], // 3 would exceed maxShare   -> Loyal High Spenders
    [250, 900, 12], // 4
    [250, 80, 30], // 5
    [250, 70, 300], // 6
  ];
  const facts: CustomerFacts[] = spec.flatMap(([n, revenue, recencyDays], c) =>
    Array.from({ length: n }, (_, i) => ({ customerId: `${c}-${i}`, revenue, recencyDays })),
  );
  const labels = spec.flatMap(([n], c) => new Array<number>(n).fill(c));
  const profiles = profileGroups(facts, labels, spec.length);

  it('forms the Insiders segment from the top eligible clusters, then names the rest by the naming rule', () => {
    const r = segmentClusters(profiles, facts, DEFAULT_NAMING_RULE, DEFAULT_INSIDERS_RULE);
    expect(r.groups[0]).toEqual({ name: 'Insiders', clusters: [0, 1], isInsiders: true });
    expect(r.groups.slice(1, 3).map((g) => [g.name, g.clusters])).toEqual([
      ['Elite Spenders', [2]],
      ['Loyal High Spenders', [3]],
    ]);
    expect(r.groups.filter((g) => g.isInsiders)).toHaveLength(1);
    expect(r.clusterToGroup.slice(0, 4)).toEqual([0, 0, 1, 2]);
    expect(r.insiders.share).toBeCloseTo(0.11, 12);
    const reasons = Object.fromEntries(r.insiders.candidates.map((c) => [c.id, c.reason]));
    expect(reasons[2]).toContain('mean recency');
  });

  it('has no Insiders segment when no cluster is eligible', () => {
    const r = segmentClusters(profiles, facts, DEFAULT_NAMING_RULE, { ...DEFAULT_INSIDERS_RULE, maxSegmentRecencyDays: 1 });
    expect(r.groups.some((g) => g.isInsiders)).toBe(false);
    expect(r.clusterToGroup.every((g) => g >= 0)).toBe(true);
  });
});
