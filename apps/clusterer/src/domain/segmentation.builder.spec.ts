import { DEFAULT_INSIDERS_RULE, DEFAULT_NAMING_RULE, type CustomerFacts } from '@insiders/segments';
import { buildSegmentation } from './segmentation.builder';

/** Customers in clusters: [count, revenue, recency, invoices]. */
function population(spec: [number, number, number, number][]): { facts: CustomerFacts[]; labels: number[] } {
  const facts: CustomerFacts[] = [];
  const labels: number[] = [];
  spec.forEach(([n, revenue, recencyDays, invoices], c) => {
    for (let i = 0; i < n; i++) {
      facts.push({ customerId: `c${c}-${i}`, revenue, recencyDays, invoices });
      labels.push(c);
    }
  });
  return { facts, labels };
}

describe('buildSegmentation', () => {
  const spec: [number, number, number, number][] = [
    [100, 8_000, 10, 12], // 0 Insiders
    [300, 900, 20, 4],
    [300, 100, 30, 2],
    [300, 80, 300, 1],
  ];
  const { facts, labels } = population(spec);
  const first = buildSegmentation({ facts, clusterLabels: labels, k: 4, previous: null, naming: DEFAULT_NAMING_RULE, insidersRule: DEFAULT_INSIDERS_RULE });

  it('gives a first model fresh ids, an Insiders segment and per-customer Insider flags', () => {
    expect(first.segments.map((s) => s.id)).toEqual([1, 2, 3, 4]);
    const insiders = first.segments.filter((s) => s.isInsiders);
    expect(insiders.map((s) => [s.name, s.profile.size])).toEqual([['Insiders', 100]]);
    expect(first.insiderFlags.reduce((s, x) => s + x, 0)).toBe(100);
    expect(first.lineage).toBeNull();
    // first customer of each cluster: 0, 100, 400, 700
    expect(first.clusterToSegment).toEqual([0, 100, 400, 700].map((i) => first.segmentIds[i]));
  });

  it('keeps ids and names of survivors when the next fit relabels the same clusters, with ARI 1', () => {
    const memberships = new Map(facts.map((f, i) => [f.customerId, { segmentId: first.segmentIds[i]! }]));
    const previous = { version: 1, segments: first.segments.map((s) => ({ id: s.id, name: s.name, centroid: s.centroid })), memberships, nextFreshId: first.nextFreshId };
    const relabelled = labels.map((c) => 3 - c);
    const next = buildSegmentation({ facts, clusterLabels: relabelled, k: 4, previous, naming: DEFAULT_NAMING_RULE, insidersRule: DEFAULT_INSIDERS_RULE });
    const byCustomer = (b: typeof first) => facts.map((f, i) => [f.customerId, b.segmentIds[i]]);
    expect(byCustomer(next)).toEqual(byCustomer(first));
    expect(next.segments.every((s) => s.origin === 'survived')).toBe(true);
    expect(new Map(next.segments.map((s) => [s.id, s.name]))).toEqual(new Map(first.segments.map((s) => [s.id, s.name])));
    expect(next.ariPrevious).toBeCloseTo(1, 12);
  });

  it('records a born segment with a fresh id when new customers form a new cluster', () => {
    const more = population([...spec, [120, 2_000, 5, 6]]);
    const memberships = new Map(facts.map((f, i) => [f.customerId, { segmentId: first.segmentIds[i]! }]));
    const previous = { version: 1, segments: first.segments.map((s) => ({ id: s.id, name: s.name, centroid: s.centroid })), memberships, nextFreshId: first.nextFreshId };
    // the new customers' ids are new (c4-*), so they had no previous segment
    const next = buildSegmentation({ facts: more.facts, clusterLabels: more.labels, k: 5, previous, naming: DEFAULT_NAMING_RULE, insidersRule: DEFAULT_INSIDERS_RULE });
    const born = next.segments.filter((s) => s.origin === 'born');
    expect(born).toHaveLength(1);
    expect(born[0]!.id).toBe(5);
    expect(next.lineage!.born).toEqual([5]);
  });
});
