import { customerGuards, DEFAULT_INSIDERS_RULE, isInsider, parseInsidersRule, selectInsiders } from './insiders';
import { profileOf, type CustomerFacts, type SegmentProfile } from './profile';

function profile(size: number, total: number, meanRevenue: number, meanRecency: number): SegmentProfile {
  const members: CustomerFacts[] = Array.from({ length: size }, (_, i) => ({ customerId: String(i), revenue: meanRevenue, recencyDays: meanRecency }));
  return profileOf(members, total, 1);
}

describe('selectInsiders', () => {
  const total = 1000;

  it('takes the highest-revenue eligible segments until the minimum share is reached', () => {
    const r = selectInsiders([
      { id: 1, profile: profile(50, total, 10_000, 10) },
      { id: 2, profile: profile(60, total, 5_000, 20) },
      { id: 3, profile: profile(300, total, 1_000, 15) },
      { id: 4, profile: profile(590, total, 100, 30) },
    ]);
    expect(r.ids).toEqual([1, 2]);
    expect(r.share).toBeCloseTo(0.11, 12);
    expect(r.oversized).toBe(false);
  });

  it('skips segments that bought too long ago or are too small', () => {
    const r = selectInsiders([
      { id: 1, profile: profile(100, total, 20_000, 200) }, // rich but not recent
      { id: 2, profile: profile(3, total, 15_000, 5) }, // too small
      { id: 3, profile: profile(120, total, 8_000, 12) },
    ]);
    expect(r.ids).toEqual([3]);
    const reasons = Object.fromEntries(r.candidates.map((c) => [c.id, c.reason]));
    expect(reasons[1]).toContain('mean recency');
    expect(reasons[2]).toContain('size 3 < 5');
  });

  it('never exceeds the maximum share except for a single first segment', () => {
    const r = selectInsiders([
      { id: 1, profile: profile(50, total, 10_000, 10) },
      { id: 2, profile: profile(200, total, 5_000, 10) },
    ]);
    expect(r.ids).toEqual([1]);
    const big = selectInsiders([{ id: 7, profile: profile(400, total, 10_000, 10) }]);
    expect(big.ids).toEqual([7]);
    expect(big.oversized).toBe(true);
  });

  it('selects nothing when no segment is eligible', () => {
    expect(selectInsiders([{ id: 1, profile: profile(100, total, 10_000, 300) }]).ids).toEqual([]);
  });
});

describe('customer guards', () => {
  const c: CustomerFacts = { customerId: 'a', revenue: 5000, recencyDays: 30, invoices: 1 };

  it('requires every guard to pass', () => {
    expect(isInsider(c, 1, [1])).toBe(false); // one invoice
    expect(isInsider({ ...c, invoices: 4 }, 1, [1])).toBe(true);
    expect(isInsider({ ...c, invoices: 4 }, 2, [1])).toBe(false); // not in an Insiders segment
    expect(isInsider({ ...c, invoices: 4, recencyDays: 400 }, 1, [1])).toBe(false);
  });

  it('reports each guard with required and actual values, skipping absent facts', () => {
    expect(customerGuards({ customerId: 'b', revenue: 10, recencyDays: 3 })).toEqual([
      { guard: 'maxRecencyDays', required: DEFAULT_INSIDERS_RULE.maxRecencyDays, actual: 3, passed: true },
      { guard: 'minRevenue', required: 0, actual: 10, passed: true },
    ]);
  });

  it('parses a configured rule and rejects nonsense', () => {
    expect(parseInsidersRule('{"minInvoices":5}').minInvoices).toBe(5);
    expect(() => parseInsidersRule('{"minShare":0.5,"maxShare":0.2}')).toThrow('minShare <= maxShare');
    expect(() => parseInsidersRule('{"maxRecencyDays":-1}')).toThrow('maxRecencyDays');
  });
});
