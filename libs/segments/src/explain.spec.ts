import { explainCustomer } from './explain';
import { DEFAULT_INSIDERS_RULE } from './insiders';
import { profileOf, type CustomerFacts } from './profile';

const c = (id: string, revenue: number, recencyDays: number, invoices: number): CustomerFacts => ({ customerId: id, revenue, recencyDays, invoices });

describe('explainCustomer', () => {
  const insidersMembers = [c('i1', 10_000, 5, 20), c('i2', 12_000, 10, 30)];
  const engagedMembers = [c('e1', 500, 20, 3), c('e2', 700, 40, 4)];
  const all = [...insidersMembers, ...engagedMembers];
  const population = profileOf(all, all.length, 23_200);
  const insiders = { id: 1, name: 'Elite Spenders', profile: profileOf(insidersMembers, 4, 23_200) };
  const engaged = { id: 2, name: 'Engaged', profile: profileOf(engagedMembers, 4, 23_200) };

  it('explains an Insider, with the deciding neighbours as votes', () => {
    const e = explainCustomer({
      customer: insidersMembers[0]!,
      segment: { ...insiders, isInsiders: true },
      insiders: [insiders],
      population,
      rule: DEFAULT_INSIDERS_RULE,
      isInsider: true,
      neighbours: [
        { customerId: 'i2', segmentId: 1, distance: 0.1 },
        { customerId: 'e2', segmentId: 2, distance: 0.7 },
        { customerId: 'x', segmentId: 1, distance: 0.3 },
      ],
    });
    expect(e.insider).toBe(true);
    expect(e.summary).toContain('Insider: member of Elite Spenders');
    expect(e.neighbours.votes).toEqual([
      { segmentId: 1, share: 2 / 3 },
      { segmentId: 2, share: 1 / 3 },
    ]);
    expect(e.neighbours.nearest.map((n) => n.customerId)).toEqual(['i2', 'x', 'e2']);
    // z against the population: recency (5 - 18.75) / 13.4 = -1.03, revenue 0.80, invoices 0.51
    expect(e.features.map((f) => f.fact)).toEqual(['recencyDays', 'revenue', 'invoices']);
  });

  it('names the failing guard for a member of an Insiders segment who is not an Insider', () => {
    const e = explainCustomer({
      customer: c('late', 11_000, 400, 25),
      segment: { ...insiders, isInsiders: true },
      insiders: [insiders],
      population,
      rule: DEFAULT_INSIDERS_RULE,
      isInsider: false,
    });
    expect(e.summary).toContain('fails maxRecencyDays (required 180, actual 400)');
  });

  it('gives the gaps to the Insiders profile and the facts that moved the customer', () => {
    const e = explainCustomer({
      customer: c('e1', 500, 20, 3),
      segment: { ...engaged, isInsiders: false },
      insiders: [insiders],
      population,
      rule: DEFAULT_INSIDERS_RULE,
      isInsider: false,
      previous: { segment: insiders, facts: c('e1', 9_000, 3, 18) },
    });
    expect(e.summary).toContain('not an Insiders segment; largest gaps: ');
    expect(e.summary).toContain('revenue 500 vs Insiders mean 11000');
    // old (Insiders) means: revenue 11000, recency 7.5, invoices 25; new (Engaged): 600, 30, 3.5 — all three pull
    // towards Engaged; revenue most (10500 − 100 over a std of 5248).
    expect(e.movedBy.map((m) => m.fact)).toEqual(['revenue', 'invoices', 'recencyDays']);
    expect(e.movedBy.find((m) => m.fact === 'revenue')).toMatchObject({ before: 9_000, after: 500 });
  });
});
