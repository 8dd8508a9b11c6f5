import type { CustomerFeatures } from '@insiders/features-core';
import { buildForecast, buildReport, DEFAULT_REPORT_OPTIONS, monthlySeries, type ReportInput } from './report.builder';
import { renderReportMarkdown } from './report.markdown';
import type { MonthlyRevenueRow } from './report.repository';

function features(id: string, revenue: number, recency: number, invoices: number): CustomerFeatures {
  return {
    customerId: id,
    synthetic: false,
    grossRevenue: revenue,
    recencyDays: recency,
    invoices,
    items: invoices * 10,
    products: invoices * 3,
    uniqueProducts: invoices * 2,
    averageTicket: revenue / invoices,
    averageDaysBetweenPurchases: null,
    frequency: invoices / 100,
    returns: 0,
    returnLines: 0,
    returnRate: 0,
    averageBasketSize: 10,
    averageUniqueBasketSize: 2,
    revenueShareByWeekday: [],
    revenueShareByDayOfMonth: [],
    country: 'France',
    firstPurchaseDay: '2011-01-01',
    lastPurchaseDay: '2011-10-01',
  };
}

function month(m: string, insiders: number, total: number, firstDay?: string, lastDay?: string): MonthlyRevenueRow {
  const end = new Date(Date.UTC(Number(m.slice(0, 4)), Number(m.slice(5, 7)), 0)).toISOString().slice(0, 10);
  return { month: m, revenue: total, insidersRevenue: insiders, customers: 1, insidersCustomers: 1, firstDay: firstDay ?? m, lastDay: lastDay ?? end };
}

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  const feats: CustomerFeatures[] = [];
  const memberships: ReportInput['memberships'] = [];
  for (let i = 0; i < 40; i++) {
    const insider = i < 6;
    const inSegment0 = i < 7; // customer 6: in the Insiders segment, not an Insider (guard)
    feats.push(features(`c${i}`, insider ? 5000 + i * 100 : 200 + i * 10, insider ? 5 + i : 60 + i, insider ? 10 : 2));
    memberships.push({ customerId: `c${i}`, segmentId: inSegment0 ? 0 : 1 + (i % 2), isInsider: insider, modelVersion: 3 });
  }
  feats.push(features('new', 50, 1, 1)); // arrived after the last assignment
  return {
    now: new Date('2011-12-01T00:00:00Z'),
    policyName: 'seed-ian',
    model: { version: 3, createdAt: '2011-11-30T00:00:00.000Z', dataCutoff: '2011-11-30T00:00:00.000Z', customers: 40, k: 3, silhouette: 0.5, params: '{}', ariPrevious: null },
    segments: [
      { segmentId: 0, name: 'Elite', isInsiders: true, size: 7, share: 0, revenueShare: 0, meanRevenue: 0, meanRecency: 0 },
      { segmentId: 1, name: 'Engaged', isInsiders: false, size: 17, share: 0, revenueShare: 0, meanRevenue: 0, meanRecency: 0 },
      { segmentId: 2, name: 'Dormant', isInsiders: false, size: 16, share: 0, revenueShare: 0, meanRevenue: 0, meanRecency: 0 },
    ],
    memberships,
    features: feats,
    rfm: memberships.map((m) => ({ customerId: m.customerId, segment: m.isInsider ? 'Champions' : 'Other' })),
    monthly: Array.from({ length: 8 }, (_, i) => month(`2011-0${i + 1}-01`, 1000 + 100 * i, 3000 + 50 * i)),
    transitions: { entered: 6, exited: 1, first: '2011-03-01T00:00:00.000Z', last: '2011-09-01T00:00:00.000Z' },
    ...overrides,
  };
}

const FAST = { ...DEFAULT_REPORT_OPTIONS, resamples: 200 };

describe('monthlySeries', () => {
  it('fills gaps and flags a partly covered first and last month', () => {
    const s = monthlySeries([month('2016-11-01', 1, 2, '2016-11-29'), month('2016-12-01', 3, 4), month('2017-02-01', 5, 6, undefined, '2017-02-10')]);
    expect(s.map((h) => [h.month, h.complete, h.insidersRevenue])).toEqual([
      ['2016-11-01', false, 1],
      ['2016-12-01', true, 3],
      ['2017-01-01', true, 0],
      ['2017-02-01', false, 5],
    ]);
  });
});

describe('buildForecast', () => {
  it('refuses to forecast from fewer than 6 complete months, saying why', () => {
    const f = buildForecast([month('2011-01-01', 1, 1), month('2011-02-01', 2, 2), month('2011-03-01', 3, 3)], DEFAULT_REPORT_OPTIONS);
    expect(f.available).toBe(false);
    expect(f.reason).toContain('found 3');
  });

  it('forecasts the months after the last complete one and shows the partial month to date', () => {
    const rows = [...Array.from({ length: 9 }, (_, i) => month(`2011-0${i + 1}-01`, 100 * (i + 1), 500)), month('2011-10-01', 120, 200, undefined, '2011-10-09')];
    const f = buildForecast(rows, { ...DEFAULT_REPORT_OPTIONS, horizon: 2 });
    expect(f.available).toBe(true);
    expect(f.points.map((p) => p.month)).toEqual(['2011-10-01', '2011-11-01']);
    expect(f.points[0]!.actualToDate).toBe(120);
    expect(f.points[0]!.mean).toBeCloseTo(1000, 6); // a straight line continues
    expect(f.backtest!.oneStep.cases.map((c) => c.month)).toEqual(['2011-07-01', '2011-08-01', '2011-09-01']);
    expect(f.caveats.some((c) => c.includes('2011-10'))).toBe(true);
  });
});

describe('buildReport', () => {
  it('counts Insiders, guarded-out members, unassigned customers and the revenue share', () => {
    const r = buildReport(input(), FAST);
    expect(r.population).toMatchObject({ customers: 41, assigned: 40, unassigned: 1 });
    expect(r.eligibility.insiders).toBe(6);
    expect(r.eligibility.guardedOut).toBe(1);
    expect(r.eligibility.segments).toEqual([{ segmentId: 0, name: 'Elite', members: 7, insiders: 6 }]);
    const insidersRevenue = [0, 1, 2, 3, 4, 5].reduce((s, i) => s + 5000 + i * 100, 0);
    const total = r.population.revenue;
    expect(r.revenueShare.insidersRevenue).toBe(insidersRevenue);
    expect(r.revenueShare.share).toBeCloseTo(insidersRevenue / total, 12);
    expect(r.revenueShare.customerShare).toBeCloseTo(6 / 41, 12);
    expect(r.profile[0]!.isInsiders).toBe(true);
  });

  it('falls back to the documented default rule when the model does not record one, and says so', () => {
    const r = buildReport(input(), FAST);
    expect(r.eligibility.ruleSource).toBe('default');
    expect(r.notes.join(' ')).toContain('default rule');
    const withRule = buildReport(input({ model: { ...input().model!, params: JSON.stringify({ policy: { insiders: { maxSegmentRecencyDays: 60, minInvoices: 3, maxRecencyDays: 120 } } }) } }), FAST);
    expect(withRule.eligibility.ruleSource).toBe('model');
    expect(withRule.eligibility.rule.minInvoices).toBe(3);
    expect(withRule.conditions.leave[0]).toContain('120 days');
  });

  it('finds separating thresholds and significant differences on separated groups', () => {
    const r = buildReport(input(), FAST);
    expect(r.conditions.enter.f1).toBe(1);
    const revenue = r.evidence.find((e) => e.feature === 'grossRevenue')!;
    expect(revenue.mannWhitney.pValue).toBeLessThan(0.001);
    expect(revenue.bootstrapMedian.ci[0]).toBeGreaterThan(0);
    expect(r.rfm.adjustedRandIndex).toBeGreaterThan(0);
    expect(r.rfm.insidersByRfm.find((x) => x.segment === 'Champions')!.share).toBe(1);
  });

  it('renders every section, also without a model, Insiders or history', () => {
    const md = renderReportMarkdown(buildReport(input(), FAST));
    expect(md).toContain('**6 customers** are Insiders');
    expect(md).toContain('## 6. Expected Insiders revenue');
    const empty = renderReportMarkdown(
      buildReport(input({ model: null, segments: [], memberships: [], rfm: [], monthly: [], transitions: { entered: 0, exited: 0, first: null, last: null } }), FAST),
    );
    expect(empty).toContain('No active model yet');
    expect(empty).toContain('Not enough Insiders');
    expect(empty).toContain('No forecast');
    expect(empty).toContain('No RFM baseline');
  });
});
