import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import {
  adjustedRandIndex,
  bootstrapDifference,
  crosstab,
  autoForecast,
  mannWhitneyU,
  median,
  welchTTest,
} from '@insiders/stats';
import { ApiModule } from '../../apps/api/src/api.module';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { policyPreset } from '@insiders/features-core';
import { buildReport, DEFAULT_REPORT_OPTIONS } from '../../apps/api/src/report/report.builder';
import { ReportRepository } from '../../apps/api/src/report/report.repository';
import { buildReportInWorker } from '../../apps/api/src/report/report.runner';
import type { Report } from '../../apps/api/src/report/report.types';
import type { DashboardSummary } from '../../apps/api/src/dashboard/dashboard.service';
import { buildReportFixture, expectedFrom, seedReportFixture, type Expected, type ReportFixture } from './report.fixture';

/**
 * The business report on fixture rows written through the real migrations on chDB, served by the real ApiModule.
 * Every figure is checked against a computation made here, in plain TypeScript, from the fixture's raw lines
 * (seed-ian cleaning: POST and unit prices below 0.04 dropped; purchases are positive quantities).
 */
describe('GET /v1/report on chDB fixture rows', () => {
  let dir: string;
  let client: ClickHouseClient;
  let app: NestFastifyApplication;
  let fixture: ReportFixture;
  let expected: Expected;
  let report: Report;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'insiders-report-'));
    client = await openClickHouse({ database: 'report_it', chdbPath: join(dir, 'chdb') });
    await runMigrations(client, 'report_it');
    fixture = await seedReportFixture(client, buildReportFixture());
    expected = expectedFrom(fixture);
    const config = loadApiConfig({ FEATURE_POLICY: 'seed-ian', RATE_LIMIT_PER_SECOND: '0' });
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forClient(client), ApiModule.forRoot({ config })],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    const res = await app.inject({ method: 'GET', url: '/v1/report' });
    expect(res.statusCode).toBe(200);
    report = res.json<Report>();
  });

  afterAll(async () => {
    await app?.close();
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const insiderIds = () => fixture.customers.filter((c) => fixture.insider.get(c));
  const restIds = () => fixture.customers.filter((c) => !fixture.insider.get(c));

  it('names the active model and counts who is eligible', () => {
    expect(report.model?.version).toBe(2);
    expect(report.model?.silhouette).toBeCloseTo(0.52, 10);
    expect(report.population.customers).toBe(60);
    expect(report.population.assigned).toBe(60);
    expect(report.eligibility.insiders).toBe(insiderIds().length);
    expect(report.eligibility.insiders).toBe(11);
    expect(report.eligibility.guardedOut).toBe(1); // customer 13011: one invoice
    expect(report.eligibility.segments).toEqual([{ segmentId: 0, name: 'Elite Spenders', members: 12, insiders: 11 }]);
    expect(report.eligibility.ruleSource).toBe('model');
    expect(report.eligibility.rule.maxShare).toBe(0.3);
  });

  it('computes the revenue share and the profile from the cleaned raw lines', () => {
    const total = [...expected.revenue.values()].reduce((s, v) => s + v, 0);
    const ins = insiderIds().reduce((s, c) => s + expected.revenue.get(c)!, 0);
    expect(report.revenueShare.totalRevenue).toBeCloseTo(total, 2);
    expect(report.revenueShare.insidersRevenue).toBeCloseTo(ins, 2);
    expect(report.revenueShare.share).toBeCloseTo(ins / total, 10);
    expect(report.revenueShare.customerShare).toBeCloseTo(11 / 60, 10);
    const elite = report.profile.find((p) => p.segmentId === 0)!;
    expect(report.profile[0]!.segmentId).toBe(0); // Insiders segment first
    const members = fixture.customers.filter((c) => fixture.segmentOf.get(c) === 0);
    expect(elite.customers).toBe(12);
    expect(elite.meanRevenue).toBeCloseTo(members.reduce((s, c) => s + expected.revenue.get(c)!, 0) / 12, 6);
    expect(elite.medianRevenue).toBeCloseTo(median(members.map((c) => expected.revenue.get(c)!)), 6);
    expect(elite.meanInvoices).toBeCloseTo(members.reduce((s, c) => s + expected.invoices.get(c)!, 0) / 12, 10);
    const dormant = report.profile.find((p) => p.segmentId === 2)!;
    const dm = fixture.customers.filter((c) => fixture.segmentOf.get(c) === 2);
    expect(dormant.meanRecencyDays).toBeCloseTo(dm.reduce((s, c) => s + expected.recency.get(c)!, 0) / dm.length, 10);
  });

  it('gives tests and intervals that match a direct computation', () => {
    const rev = report.evidence.find((e) => e.feature === 'grossRevenue')!;
    const a = insiderIds().map((c) => expected.revenue.get(c)!);
    const b = restIds().map((c) => expected.revenue.get(c)!);
    const u = mannWhitneyU(a, b);
    expect(rev.mannWhitney.u).toBe(u.u);
    expect(rev.mannWhitney.pValue).toBeCloseTo(u.pValue, 12);
    expect(rev.mannWhitney.pValue).toBeLessThan(1e-5);
    expect(rev.welch.pValue).toBeCloseTo(welchTTest(a, b).pValue, 10);
    const boot = bootstrapDifference(a, b, { statistic: 'median', resamples: rev.bootstrapMedian.resamples, seed: rev.bootstrapMedian.seed });
    expect(rev.bootstrapMedian.seed).toBe(42);
    expect(rev.bootstrapMedian.ci[0]).toBeCloseTo(boot.ci[0], 6);
    expect(rev.bootstrapMedian.ci[1]).toBeCloseTo(boot.ci[1], 6);
    expect(rev.bootstrapMedian.ci[0]).toBeGreaterThan(0);
    const freq = report.evidence.find((e) => e.feature === 'frequency')!;
    expect(freq.insiders.median).toBeCloseTo(median(insiderIds().map((c) => expected.frequency.get(c)!)), 12);
    expect(freq.mannWhitney.pValue).toBeCloseTo(
      mannWhitneyU(insiderIds().map((c) => expected.frequency.get(c)!), restIds().map((c) => expected.frequency.get(c)!)).pValue,
      12,
    );
  });

  it('states entry conditions as thresholds that reproduce the Insiders, and observed entries/exits', () => {
    const enter = report.conditions.enter;
    expect(enter.conditions.length).toBeGreaterThan(0);
    // re-apply the thresholds to the independently computed features: the stated precision and recall hold
    const passing = fixture.customers.filter((c) =>
      enter.conditions.every((k) => {
        const v = expected.feature(c, k.feature);
        return k.direction === '>=' ? v >= k.threshold - 1e-9 : v <= k.threshold + 1e-9;
      }),
    );
    const tp = passing.filter((c) => fixture.insider.get(c)).length;
    expect(tp / passing.length).toBeCloseTo(enter.precision, 10);
    expect(tp / 11).toBeCloseTo(enter.recall, 10);
    expect(enter.f1).toBeGreaterThan(0.9);
    expect(report.conditions.leave.some((l) => l.includes('180 days'))).toBe(true);
    expect(report.conditions.observed.entered).toBe(fixture.entered);
    expect(report.conditions.observed.exited).toBe(fixture.exited);
    expect(report.conditions.observed.first).toBe('2011-06-01T00:00:00.000Z');
  });

  it('forecasts Insiders revenue from complete months and backtests on held-out months', () => {
    const f = report.forecast;
    expect(f.available).toBe(true);
    expect(f.history.map((h) => h.month)).toEqual(Array.from({ length: 11 }, (_, i) => `2011-${String(i + 1).padStart(2, '0')}-01`));
    expect(f.history.filter((h) => !h.complete).map((h) => h.month)).toEqual(['2011-11-01']);
    for (const h of f.history) expect(h.insidersRevenue).toBeCloseTo(expected.monthlyInsiders.get(h.month) ?? 0, 2);
    const series = f.history.filter((h) => h.complete).map((h) => expected.monthlyInsiders.get(h.month)!);
    const direct = autoForecast(series, { horizon: 3, level: 0.8, nonNegative: true });
    expect(f.procedure).toBe('auto');
    expect(f.model).toBe(direct.method);
    for (const [m, v] of Object.entries(direct.selection.scores)) expect(f.selection!.scores[m]).toBeCloseTo(v, 4);
    expect(f.comparison!.map((c) => c.method)).toEqual(['naive', 'drift', 'holt-damped', 'auto']);
    expect(f.points.map((p) => p.month)).toEqual(['2011-11-01', '2011-12-01', '2012-01-01']);
    f.points.forEach((p, i) => {
      expect(p.mean).toBeCloseTo(direct.points[i]!.mean, 4);
      expect(p.lower).toBeLessThanOrEqual(p.mean);
      expect(p.upper).toBeGreaterThanOrEqual(p.mean);
    });
    expect(f.points[0]!.actualToDate).toBeCloseTo(expected.monthlyInsiders.get('2011-11-01')!, 2);
    expect(f.backtest!.holdout).toBe(3);
    expect(f.backtest!.oneStep.cases.map((c) => c.month)).toEqual(['2011-08-01', '2011-09-01', '2011-10-01']);
    expect(f.backtest!.oneStep.mape).toBeGreaterThanOrEqual(0);
    expect(f.backtest!.oneStep.coverage).toBeGreaterThanOrEqual(0);
  });

  it('compares ML segments with the RFM baseline', () => {
    const ml = fixture.customers.map((c) => fixture.segmentNames[fixture.segmentOf.get(c)!]!);
    const base = fixture.customers.map((c) => fixture.rfm.get(c)!);
    expect(report.rfm.available).toBe(true);
    expect(report.rfm.n).toBe(60);
    expect(report.rfm.adjustedRandIndex).toBeCloseTo(adjustedRandIndex(crosstab(ml, base)), 12);
    const champions = report.rfm.insidersByRfm.find((x) => x.segment === 'Champions')!;
    const inChampions = fixture.customers.filter((c) => fixture.rfm.get(c) === 'Champions');
    expect(champions.insiders).toBe(inChampions.filter((c) => fixture.insider.get(c)).length);
    const total = report.rfm.counts.flat().reduce((s, v) => s + v, 0);
    expect(total).toBe(60);
  });

  it('computes the same report in a worker thread as in-thread', async () => {
    const repo = app.get(ReportRepository);
    const policy = policyPreset('seed-ian');
    const model = await repo.activeModel();
    const input = {
      now: new Date('2011-12-01T00:00:00Z'),
      policyName: 'seed-ian',
      model,
      segments: await repo.segments(model!.version),
      memberships: await repo.memberships(),
      features: await repo.customerFeatures(policy),
      rfm: await repo.rfmSegments(),
      monthly: await repo.monthlyRevenue(policy),
      transitions: await repo.transitionTotals(),
    };
    const inThread = buildReport(input, DEFAULT_REPORT_OPTIONS);
    const inWorker = await buildReportInWorker(input, DEFAULT_REPORT_OPTIONS);
    expect(inWorker).toEqual(inThread);
    expect(inWorker.eligibility.insiders).toBe(11);
  });

  it('serves the dashboard JSON: KPIs, countries with "Other", a sampled map, suggestions, 400 naming the field', async () => {
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json<Record<string, unknown>>() };
    };
    const summary = (await get('/v1/dashboard/summary')).body as unknown as DashboardSummary;
    expect(summary).toMatchObject({ customers: 60, insiders: 11, featurePolicy: 'seed-ian' });
    expect(summary.model?.version).toBe(2);
    expect(summary.revenue.insidersShare).toBeCloseTo(report.revenueShare.share, 10);
    expect(summary.history).toEqual({ first: '2011-06-01T00:00:00.000Z', last: '2011-09-02T00:00:00.000Z' });
    expect(summary.segments.map((x) => [x.name, x.size, x.insiders])).toEqual([
      ['Elite Spenders', 12, 11],
      ['Engaged', 24, 0],
      ['Dormant', 24, 0],
    ]);

    const countries = (await get('/v1/dashboard/countries?limit=2')).body as { countries: { country: string; customers: number; insiders: number }[]; other: { country: string; customers: number }; total: number };
    expect(countries.countries).toHaveLength(2);
    expect(countries.other.country).toBe('Other (3)');
    expect(countries.other.customers + countries.countries.reduce((a, c) => a + c.customers, 0)).toBe(60);
    expect(countries.total).toBe(60);
    // country of the latest line: every fixture customer buys from one country (index mod 5)
    const uk = fixture.customers.filter((_, i) => i % 5 === 0);
    const all = (await get('/v1/dashboard/countries?limit=100')).body as typeof countries;
    expect(all.countries.find((c) => c.country === 'United Kingdom')).toMatchObject({ customers: uk.length, insiders: uk.filter((c) => fixture.insider.get(c)).length });

    const map = (await get('/v1/dashboard/map?limit=10')).body as { total: number; sampled: boolean; points: [number, number, number, number, string][] };
    expect(map).toMatchObject({ total: 60, sampled: true });
    expect(map.points).toHaveLength(10);
    for (const [x, y, segment, insider, id] of map.points) {
      expect(Number.isFinite(x) && Number.isFinite(y)).toBe(true);
      expect(segment).toBe(fixture.segmentOf.get(id));
      expect(insider).toBe(fixture.insider.get(id) ? 1 : 0);
    }

    const suggestions = (await get('/v1/dashboard/customers?prefix=1300&limit=3')).body as unknown as { customerId: string }[];
    expect(suggestions.map((x) => x.customerId)).toEqual(['13000', '13001', '13002']);

    const transitions = (await get('/v1/dashboard/transitions?from=2011-06-01&to=2011-10-01&bucket=month')).body as { points: { t: number; entered: number; exited: number }[] };
    expect(transitions.points.map((p) => [new Date(p.t).toISOString().slice(0, 7), p.entered, p.exited])).toEqual([
      ['2011-06', 11, 0],
      ['2011-07', 2, 0],
      ['2011-08', 0, 0],
      ['2011-09', 0, 2],
    ]);

    const bad = await get('/v1/dashboard/map?limit=0');
    expect(bad.status).toBe(400);
    expect(String(bad.body.message)).toContain('limit');
    const noPrefix = await get('/v1/dashboard/customers');
    expect(noPrefix.status).toBe(400);
    expect(String(noPrefix.body.message)).toContain('prefix');
    const injection = await get(`/v1/dashboard/customers?prefix=${encodeURIComponent("1' OR 1=1 --")}`);
    expect(injection.status).toBe(400);
  });

  it('renders the same report as Markdown', async () => {
    const res = await app.inject({ method: 'GET', url: '/v1/report.md' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/markdown');
    const md = res.body;
    for (const heading of ['## 1. Who is eligible', '## 3. Share of revenue', '## 5. Do Insiders', '## 6. Expected Insiders revenue', '## 7. ML segments vs the RFM baseline']) {
      expect(md).toContain(heading);
    }
    expect(md).toContain('**11 customers** are Insiders');
    expect(md).toContain(`${(report.revenueShare.share * 100).toFixed(1)}% of gross revenue`);
  });
});
