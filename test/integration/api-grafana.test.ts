import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiFixtures, createApiTestApp, openTestStore, type TestStore } from '../support/api-fixtures';

/**
 * The Grafana JSON datasource contract with the bodies the plugins send: simpod-json-datasource 0.6 on Grafana 10
 * (payload as a string, datasource object, scopedVars...) and the legacy SimpleJSON plugin (type: "timeserie").
 */
const RANGE_2011 = {
  from: '2011-02-01T00:00:00.000Z',
  to: '2011-12-01T00:00:00.000Z',
  raw: { from: '2011-02-01T00:00:00.000Z', to: '2011-12-01T00:00:00.000Z' },
};

function jsonDatasourceQuery(targets: { refId: string; target: string; payload?: string }[], range = RANGE_2011, intervalMs = 43_200_000) {
  return {
    app: 'dashboard',
    requestId: 'Q115',
    timezone: 'browser',
    panelId: 2,
    dashboardUID: 'insiders-overview',
    publicDashboardAccessToken: '',
    range,
    timeInfo: '',
    interval: '12h',
    intervalMs,
    targets: targets.map((t) => ({
      datasource: { type: 'simpod-json-datasource', uid: 'insiders-api' },
      editorMode: 'code',
      payload: t.payload ?? '',
      refId: t.refId,
      target: t.target,
    })),
    maxDataPoints: 1000,
    liveStreaming: false,
    scopedVars: { __interval: { text: '12h', value: '12h' }, __interval_ms: { text: '43200000', value: 43_200_000 } },
    startTime: 1_700_000_000_000,
    rangeRaw: { from: 'now-1y', to: 'now' },
    adhocFilters: [],
  };
}

type Serie = { target: string; datapoints: [number, number][] };

describe('Grafana datasource', () => {
  let store: TestStore;
  let app: NestFastifyApplication;
  const post = (url: string, payload: object) => app.inject({ method: 'POST', url, payload });

  beforeAll(async () => {
    store = await openTestStore('api_grafana');
    await new ApiFixtures(store.client).standardWorld();
    app = await createApiTestApp(store);
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  it('answers the connection test and lists metrics (search, metrics, variable, tag keys/values)', async () => {
    expect((await app.inject({ url: '/grafana/' })).statusCode).toBe(200);
    expect((await app.inject({ url: '/grafana' })).statusCode).toBe(200);
    const search = (await post('/grafana/search', { target: '' })).json();
    expect(search).toEqual(expect.arrayContaining(['segment_sizes', 'insiders_entered', 'insiders_exited', 'revenue_by_segment', 'refits']));
    expect((await post('/grafana/search', { type: 'timeseries', target: 'upper_50' })).statusCode).toBe(200);
    const metrics = (await post('/grafana/metrics', {})).json();
    const sizes = metrics.find((m: { value: string }) => m.value === 'segment_sizes');
    expect(sizes.payloads[0].options.map((o: { label: string }) => o.label)).toEqual(['Elite Spenders', 'Engaged', 'Dormant']);
    expect((await post('/grafana/metric-payload-options', { metric: 'segment_sizes', payload: {}, name: 'segments' })).json()).toEqual([
      { label: 'Elite Spenders', value: '0' },
      { label: 'Engaged', value: '1' },
      { label: 'Dormant', value: '2' },
    ]);
    expect((await post('/grafana/variable', { payload: { target: 'segments' }, range: RANGE_2011 })).json()[1]).toEqual({ __text: 'Engaged', __value: '1' });
    expect((await post('/grafana/tag-keys', {})).json()).toEqual([{ type: 'string', text: 'segment' }]);
    expect((await post('/grafana/tag-values', { key: 'segment' })).json().map((v: { text: string }) => v.text)).toEqual(['Elite Spenders', 'Engaged', 'Dormant']);
  });

  it('serves segment sizes over time as [value, tsMs] datapoints', async () => {
    const res = await post('/grafana/query', jsonDatasourceQuery([{ refId: 'A', target: 'segment_sizes' }]));
    expect(res.statusCode).toBe(200);
    const series: Serie[] = res.json();
    expect(series.map((s) => s.target)).toEqual(['Elite Spenders', 'Engaged', 'Dormant']);
    const at = (s: Serie, iso: string) => s.datapoints.find(([, t]) => t === Date.parse(iso))?.[0];
    const [elite, engaged, dormant] = series as [Serie, Serie, Serie];
    expect(elite.datapoints[0]).toEqual([0, Date.parse('2011-02-01T00:00:00.000Z')]);
    expect(at(elite, '2011-03-01T00:00:00.000Z')).toBe(2);
    expect(at(engaged, '2011-09-15T00:00:00.000Z')).toBe(2);
    expect(at(engaged, '2011-09-15T12:00:00.000Z')).toBe(3);
    expect(at(dormant, '2011-09-15T12:00:00.000Z')).toBe(0);
    // 12 h buckets (intervalMs), ascending timestamps, the whole range covered.
    expect(engaged.datapoints).toHaveLength(606); // 303 days
    expect(engaged.datapoints[1]![1] - engaged.datapoints[0]![1]).toBe(43_200_000);
  });

  it('respects maxDataPoints and the segments payload', async () => {
    const body = { ...jsonDatasourceQuery([{ refId: 'A', target: 'segment_sizes', payload: '{"segments":["1"]}' }], RANGE_2011, 60_000), maxDataPoints: 50 };
    const series: Serie[] = (await post('/grafana/query', body)).json();
    expect(series.map((s) => s.target)).toEqual(['Engaged']);
    expect(series[0]!.datapoints.length).toBeLessThanOrEqual(50);
  });

  it('serves Insiders entered / exited and the Insiders count', async () => {
    const range = { from: '2011-01-01T00:00:00.000Z', to: '2012-01-01T00:00:00.000Z', raw: { from: 'now-1y', to: 'now' } };
    const res = await post('/grafana/query', jsonDatasourceQuery([
      { refId: 'A', target: 'insiders_entered' },
      { refId: 'B', target: 'insiders_exited' },
      { refId: 'C', target: 'insiders_count' },
    ], range, 86_400_000));
    const [entered, exited, count] = res.json() as [Serie, Serie, Serie];
    const total = (s: Serie) => s.datapoints.reduce((a, [v]) => a + v, 0);
    expect(entered.target).toBe('Insiders entered');
    expect(total(entered)).toBe(3);
    expect(total(exited)).toBe(1);
    expect(entered.datapoints.find(([, t]) => t === Date.parse('2011-06-01T00:00:00Z'))![0]).toBe(1);
    expect(count.datapoints.at(-1)![0]).toBe(2);
    expect(count.datapoints.find(([, t]) => t === Date.parse('2011-02-28T00:00:00Z'))![0]).toBe(0);
  });

  it('serves revenue by segment: the segment at the time by default, or the current one', async () => {
    const range = { from: '2011-01-01T00:00:00.000Z', to: '2012-01-01T00:00:00.000Z', raw: { from: 'now-1y', to: 'now' } };
    const revenue = async (payload?: string) => {
      const res = await post('/grafana/query', jsonDatasourceQuery([{ refId: 'A', target: 'revenue_by_segment', payload }], range, 3_600_000));
      expect(res.statusCode).toBe(200);
      const series: Serie[] = res.json();
      const totals = Object.fromEntries(series.map((s) => [s.target, Math.round(s.datapoints.reduce((a, [v]) => a + v, 0) * 100) / 100]));
      return { series, totals };
    };
    // At the time: 12348's April purchase (200) counts for Engaged, its September one (150) for Elite (moved in
    // June); 12347's January purchase (55) and 12350's February one (17) precede their first segment (March).
    const atTime = await revenue();
    expect(atTime.totals).toEqual({ 'Elite Spenders': 550, Engaged: 320, 'Not segmented': 72 });
    // Now: every purchase counts for the customer's current segment (the POST line is not revenue under the policy).
    expect((await revenue('{"attribution":"current"}')).totals).toEqual({ 'Elite Spenders': 805, Engaged: 137 });
    // Both add up to the same total; revenue is daily: hourly requests get daily buckets.
    const elite = atTime.series.find((s) => s.target === 'Elite Spenders')!;
    expect(elite.datapoints[1]![1] - elite.datapoints[0]![1]).toBe(86_400_000);
    const bad = await post('/grafana/query', jsonDatasourceQuery([{ refId: 'A', target: 'revenue_by_segment', payload: '{"attribution":"then"}' }], range));
    expect(bad.statusCode).toBe(400);
    expect(JSON.stringify(bad.json())).toContain('targets.0.payload.attribution');
  });

  it('accepts the legacy SimpleJSON body and applies ad-hoc filters', async () => {
    const legacy = {
      panelId: 1,
      range: RANGE_2011,
      rangeRaw: { from: 'now-6h', to: 'now' },
      interval: '1d',
      intervalMs: 86_400_000,
      targets: [{ target: 'segment_sizes', refId: 'A', type: 'timeserie' }],
      adhocFilters: [{ key: 'segment', operator: '!=', value: 'Dormant' }],
      format: 'json',
      maxDataPoints: 2495,
    };
    const series: Serie[] = (await post('/grafana/query', legacy)).json();
    expect(series.map((s) => s.target)).toEqual(['Elite Spenders', 'Engaged']);
  });

  it('serves tables (segment profiles, model versions, refits)', async () => {
    const res = await post('/grafana/query', jsonDatasourceQuery([
      { refId: 'A', target: 'segment_profiles' },
      { refId: 'B', target: 'model_versions' },
      { refId: 'C', target: 'refits' },
    ], { from: '2011-01-01T00:00:00.000Z', to: '2012-01-01T00:00:00.000Z', raw: { from: 'now-1y', to: 'now' } }));
    const [profiles, models, refits] = res.json();
    expect(profiles.type).toBe('table');
    expect(profiles.columns[0]).toEqual({ text: 'Segment', type: 'string' });
    expect(profiles.rows.map((r: unknown[]) => r[0])).toEqual(['Elite Spenders', 'Engaged', 'Dormant']);
    expect(models.rows.map((r: unknown[]) => r[1])).toEqual([2, 1]);
    expect(refits.rows.map((r: unknown[]) => r[2])).toEqual(['Refit v1 (retired)', 'Refit v2 (active)']);
  });

  it('serves refit annotations', async () => {
    const res = await post('/grafana/annotations', {
      range: { from: '2011-05-01T00:00:00.000Z', to: '2011-07-01T00:00:00.000Z', raw: { from: 'now-60d', to: 'now' } },
      rangeRaw: { from: 'now-60d', to: 'now' },
      annotation: { name: 'Refits', datasource: 'Insiders API', enable: true, iconColor: 'rgba(255, 96, 96, 1)', query: 'refits' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([
      {
        annotation: { name: 'Refits', datasource: 'Insiders API', enable: true, iconColor: 'rgba(255, 96, 96, 1)', query: 'refits' },
        time: Date.parse('2011-06-01T00:00:00.000Z'),
        timeEnd: Date.parse('2011-06-01T00:03:00.000Z'),
        title: 'Refit v2 (active)',
        text: 'k=3 · silhouette=0.470 · ARI vs previous=0.620 · 5 customers · trigger schedule',
        tags: ['refit', 'active', 'schedule'],
      },
    ]);
  });

  it('400 naming the field for bad bodies', async () => {
    const unknown = await post('/grafana/query', jsonDatasourceQuery([{ refId: 'A', target: 'upper_50' }]));
    expect(unknown.statusCode).toBe(400);
    expect(unknown.json().message).toMatch(/^targets\.0\.target: unknown target "upper_50"/);
    const noRange = await post('/grafana/query', { targets: [] });
    expect(noRange.json().message).toMatch(/^range: /);
    const badFrom = await post('/grafana/query', { ...jsonDatasourceQuery([]), range: { from: 'yesterday', to: '2011-01-01T00:00:00Z' } });
    expect(badFrom.json().message).toMatch(/^range\.from: /);
    const tooLong = await post('/grafana/query', { ...jsonDatasourceQuery([]), range: { from: '1990-01-01T00:00:00Z', to: '2011-01-01T00:00:00Z' } });
    expect(tooLong.json().message).toMatch(/^range\.from: range must span at most/);
    const badPayload = await post('/grafana/query', jsonDatasourceQuery([{ refId: 'A', target: 'segment_sizes', payload: '{nope' }]));
    expect(badPayload.json().message).toBe('targets.0.payload: must be a JSON object');
    expect((await post('/grafana/tag-values', {})).json().message).toMatch(/^key: /);
  });

  it('skips hidden targets', async () => {
    const body = jsonDatasourceQuery([{ refId: 'A', target: 'segment_sizes' }]);
    (body.targets[0] as Record<string, unknown>).hide = true;
    expect((await post('/grafana/query', body)).json()).toEqual([]);
  });

  it('answers every query of the provisioned dashboard (panels and the refit annotation)', async () => {
    const root = join(__dirname, '..', '..', 'deploy', 'grafana');
    const dashboard = JSON.parse(readFileSync(join(root, 'dashboards', 'insiders-overview.json'), 'utf8'));
    const datasource = readFileSync(join(root, 'provisioning', 'datasources', 'insiders-api.yaml'), 'utf8');
    expect(datasource).toMatch(/uid: insiders-api\n\s+type: simpod-json-datasource/);
    expect(datasource).toContain('url: ${INSIDERS_API_URL}/grafana');
    const targets: { refId: string; target: string; payload?: string; datasource: { uid: string } }[] = [
      ...dashboard.panels.flatMap((p: { targets: unknown[] }) => p.targets),
      ...dashboard.annotations.list.filter((a: { target?: unknown }) => a.target).map((a: { target: object; datasource: object }) => ({ ...a.target, datasource: a.datasource })),
    ];
    expect(targets.length).toBeGreaterThanOrEqual(10);
    for (const t of targets) {
      expect(t.datasource.uid).toBe('insiders-api');
      const range = { from: '2010-12-01T00:00:00.000Z', to: '2011-12-10T00:00:00.000Z', raw: { from: dashboard.time.from, to: dashboard.time.to } };
      const res = await post('/grafana/query', jsonDatasourceQuery([{ refId: t.refId, target: t.target, payload: t.payload }], range));
      expect([t.target, res.statusCode]).toEqual([t.target, 200]);
      const frames = res.json();
      expect(frames.length).toBeGreaterThan(0);
      for (const f of frames) expect(f.datapoints?.length ?? f.rows?.length).toBeGreaterThan(0);
    }
  });
});
