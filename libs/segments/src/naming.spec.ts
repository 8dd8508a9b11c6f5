import { DEFAULT_NAMING_RULE, nameClusters, parseNamingRule } from './naming';
import { profileGroups, type CustomerFacts } from './profile';

/** Customers of one cluster: `n` copies with the given revenue and recency. */
function cluster(n: number, revenue: number, recencyDays: number, prefix: string): CustomerFacts[] {
  return Array.from({ length: n }, (_, i) => ({ customerId: `${prefix}${i}`, revenue, recencyDays }));
}

describe('nameClusters (default rule)', () => {
  // 8 clusters: two very rich ones, then one per (revenue band, recency band) cell. Population median revenue = 100,
  // recency terciles ~9.3 and 120 days.
  const spec: [number, number, number][] = [
    [5, 50_000, 3], // 0 richest
    [10, 9_000, 10], // 1 second
    [100, 900, 5], // 2 high revenue, recent
    [110, 100, 8], // 3 low revenue, recent
    [100, 800, 100], // 4 high, mid recency
    [110, 90, 120], // 5 low, mid
    [100, 700, 300], // 6 high, old
    [110, 80, 320], // 7 low, old
  ];
  const facts = spec.flatMap(([n, r, d], c) => cluster(n, r, d, `c${c}-`));
  const labels = spec.flatMap(([n], c) => new Array<number>(n).fill(c));
  const profiles = profileGroups(facts, labels, spec.length);

  it('keeps the top clusters by mean revenue and names the rest by revenue/recency bands', () => {
    const r = nameClusters(profiles, facts);
    expect(r.groups.map((g) => [g.name, g.clusters])).toEqual([
      ['Elite Spenders', [0]],
      ['Loyal High Spenders', [1]],
      ['Engaged', [2]],
      ['Occasional', [3]],
      ['Average', [4]],
      ['Dormant', [5]],
      ['Fading', [6]],
      ['Lost', [7]],
    ]);
    expect(r.clusterToGroup).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('merges clusters that fall into the same group', () => {
    const rule = { ...DEFAULT_NAMING_RULE, groups: [{ name: 'Recent', revenue: 'any' as const, recency: 'recent' as const }], fallback: 'Others' };
    const r = nameClusters(profiles, facts, rule);
    expect(r.groups.map((g) => [g.name, g.clusters])).toEqual([
      ['Elite Spenders', [0]],
      ['Loyal High Spenders', [1]],
      ['Recent', [2, 3]],
      ['Others', [4, 5, 6, 7]],
    ]);
  });

  it('skips empty clusters', () => {
    const withEmpty = [...profiles, profileGroups([], [], 1)[0]!];
    const r = nameClusters(withEmpty, facts);
    expect(r.clusterToGroup[8]).toBe(-1);
    expect(r.groups).toHaveLength(8);
  });
});

describe('parseNamingRule', () => {
  it('defaults when unset and overrides given fields', () => {
    expect(parseNamingRule(undefined)).toBe(DEFAULT_NAMING_RULE);
    expect(parseNamingRule('{"keepTop":1}').keepTop).toBe(1);
  });

  it('rejects invalid rules with a message', () => {
    expect(() => parseNamingRule('{"keepTop":-1}')).toThrow('keepTop');
    expect(() => parseNamingRule('{"recencyQuantiles":[0.8,0.2]}')).toThrow('recencyQuantiles');
    expect(() => parseNamingRule('{"groups":[{"name":"x","revenue":"huge","recency":"any"}]}')).toThrow('invalid group');
  });
});
