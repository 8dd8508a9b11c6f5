import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { RefitTrigger } from '@insiders/api-contracts';
import {
  ApiFixtures,
  createApiTestApp,
  openTestStore,
  TEST_ADMIN_KEY,
  TEST_READ_KEY,
  testApiConfig,
  type TestStore,
} from '../support/api-fixtures';
import { CustomerReadModel } from '../../apps/api/src/customers/customer-read-model';

describe.each([
  ['SQL reads', '0'],
  ['in-memory read model', '60000'],
])('API REST on chDB (fixture world), %s', (_mode, readModelRefreshMs) => {
  let store: TestStore;
  let app: NestFastifyApplication;
  const refits: { reason: string; requestedBy: string }[] = [];
  const refitTrigger: RefitTrigger = {
    requestRefit: async (r) => {
      refits.push(r);
      return { accepted: true, id: 'refit-1' };
    },
  };

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    app.inject({ method: 'POST', url, payload: payload as object, headers });

  beforeAll(async () => {
    store = await openTestStore(`api_rest_${readModelRefreshMs}`);
    await new ApiFixtures(store.client).standardWorld();
    app = await createApiTestApp(store, { refitTrigger, config: testApiConfig({ READ_MODEL_REFRESH_MS: readModelRefreshMs }) });
  });

  afterAll(async () => {
    await app?.close();
    await store?.close();
  });

  describe('customers', () => {
    it('returns features, current segment, Insider yes with an explanation, and RFM', async () => {
      const res = await get('/v1/customers/12347');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.customerId).toBe('12347');
      expect(body.features).toMatchObject({ grossRevenue: 455, invoices: 3, recencyDays: 38, country: 'Iceland', items: 184 });
      expect(body.segment).toEqual({ id: 0, name: 'Elite Spenders', isInsiders: true });
      expect(body.insider).toBe(true);
      expect(body.membership).toMatchObject({ modelVersion: 2, confidence: 0.97 });
      expect(body.explanation.insider).toBe(true);
      expect(body.explanation.summary).toContain('Insider: member of Elite Spenders');
      expect(body.explanation.guards.map((g: { guard: string; passed: boolean }) => [g.guard, g.passed])).toEqual([
        ['minInvoices', true],
        ['maxRecencyDays', true],
        ['minRevenue', true],
      ]);
      expect(body.rfm).toMatchObject({ r: 4, f: 4, m: 5, segment: 'Champions' });
    });

    it('explains a non-Insider with the gaps to the Insiders and what moved them', async () => {
      const res = await get('/v1/customers/12351');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.insider).toBe(false);
      expect(body.features.grossRevenue).toBe(60);
      expect(body.segment.name).toBe('Engaged');
      expect(body.explanation.summary).toMatch(/^Not an Insider: member of Engaged, not an Insiders segment; largest gaps: /);
    });

    it('excludes policy-dropped lines from features (POST stock code)', async () => {
      const body = (await get('/v1/customers/12348')).json();
      expect(body.features.grossRevenue).toBe(350);
      expect(body.features.products).toBe(2);
    });

    it('finds a customer written after the read model was built (SQL fallback)', async () => {
      await new ApiFixtures(store.client).memberships([{ customerId: '12399', segmentId: 1, isInsider: false, modelVersion: 2, updatedAt: '2011-12-09T00:00:00.000Z' }]);
      const res = await get('/v1/customers/12399');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ customerId: '12399', segment: { name: 'Engaged' }, features: null, insider: false });
    });

    it('404 for an unknown customer, 400 naming customerId for a malformed one', async () => {
      expect((await get('/v1/customers/99999')).statusCode).toBe(404);
      const bad = await get("/v1/customers/x';DROP");
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/^customerId: /);
    });

    it("serves the API's own full explanation when no clusterer explainer is bound", async () => {
      const res = await get('/v1/customers/12348/explanation');
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ customerId: '12348', source: 'api', explanation: { insider: true, segmentName: 'Elite Spenders' } });
      // 12348 moved Engaged -> Elite Spenders: the facts that pulled them over.
      expect(res.json().explanation.movedBy.length).toBeGreaterThan(0);
      expect((await get('/v1/customers/99999/explanation')).statusCode).toBe(404);
    });

    it('lists membership history newest first, paginated', async () => {
      const res = await get('/v1/customers/12348/history?limit=1');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      expect(body.total).toBe(2);
      expect(body.items).toHaveLength(1);
      expect(body.items[0]).toMatchObject({ fromSegment: 1, toSegment: 0, fromInsider: false, toInsider: true, modelVersion: 2, at: '2011-06-01T00:00:00.000Z' });
      const page2 = (await get('/v1/customers/12348/history?limit=1&offset=1')).json();
      expect(page2.items[0]).toMatchObject({ fromSegment: null, toSegment: 1 });
    });

    it('400 naming limit when the page size is above the bound', async () => {
      const res = await get('/v1/customers/12348/history?limit=100000');
      expect(res.statusCode).toBe(400);
      expect(res.json().message).toBe('limit: must be <= 500');
      expect(res.json().fields).toEqual([{ field: 'limit', message: 'must be <= 500' }]);
    });
  });

  describe('segments', () => {
    it('lists the active model profiles', async () => {
      const body = (await get('/v1/segments')).json();
      expect(body.model.version).toBe(2);
      expect(body.segments.map((s: { name: string }) => s.name)).toEqual(['Elite Spenders', 'Engaged', 'Dormant']);
      expect(body.segments[0]).toMatchObject({ segmentId: 0, isInsiders: true, size: 2, share: 0.4, meanRevenue: 404.5 });
      expect((await get('/v1/segments/1')).json().name).toBe('Engaged');
      expect((await get('/v1/segments/7')).statusCode).toBe(404);
      expect((await get('/v1/segments/abc')).json().message).toMatch(/^segmentId: /);
    });

    it('gives segment sizes over time, carried through quiet buckets', async () => {
      const res = await get('/v1/segments/sizes?from=2011-02-01T00:00:00Z&to=2011-12-01T00:00:00Z&bucket=month');
      expect(res.statusCode).toBe(200);
      const body = res.json();
      const byName = Object.fromEntries(
        body.series.map((s: { name: string; points: [number, number][] }) => [s.name, s.points.map((p) => p[1])]),
      );
      //                        Feb Mar Apr May Jun Jul Aug Sep Oct Nov
      expect(byName['Elite Spenders']).toEqual([0, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
      expect(byName.Engaged).toEqual([0, 2, 2, 2, 2, 2, 2, 3, 3, 3]);
      expect(byName.Dormant).toEqual([0, 1, 1, 1, 1, 1, 1, 0, 0, 0]);
      expect(body.series[0].points[0][0]).toBe(Date.parse('2011-02-01T00:00:00Z'));
    });

    it('folds changes before the range into its first bucket', async () => {
      const body = (await get('/v1/segments/sizes?from=2011-07-01T00:00:00Z&to=2011-10-01T00:00:00Z&bucket=month')).json();
      const engaged = body.series.find((s: { name: string }) => s.name === 'Engaged');
      expect(engaged.points.map((p: [number, number]) => p[1])).toEqual([2, 2, 3]);
    });

    it('400 naming the field for bad ranges and buckets', async () => {
      expect((await get('/v1/segments/sizes?from=2011-05-01&to=2011-04-01')).json().message).toBe('from: must be before to');
      expect((await get('/v1/segments/sizes?from=1990-01-01&to=2011-04-01')).json().message).toMatch(/^from: range must span at most 3660 days/);
      expect((await get('/v1/segments/sizes?from=2011-01-01&to=2011-04-01&bucket=year')).json().message).toMatch(/^bucket: /);
      expect((await get('/v1/segments/sizes?from=yesterday')).json().message).toMatch(/^from: expected an ISO-8601 time/);
      expect((await get('/v1/segments/sizes?from=2001-01-01&to=2011-01-01&bucket=hour')).json().message).toMatch(/^bucket: more than 5000 buckets/);
    });
  });

  describe('insiders', () => {
    it('lists current Insiders with features, sorted by revenue', async () => {
      const body = (await get('/v1/insiders')).json();
      expect(body.total).toBe(2);
      expect(body.items.map((i: { customerId: string }) => i.customerId)).toEqual(['12347', '12348']);
      expect(body.items[0]).toMatchObject({ segmentName: 'Elite Spenders', revenue: 455, country: 'Iceland', invoices: 3, recencyDays: 38 });
    });

    it('filters, sorts and paginates', async () => {
      expect((await get('/v1/insiders?country=Finland')).json().items.map((i: { customerId: string }) => i.customerId)).toEqual(['12348']);
      expect((await get('/v1/insiders?minRevenue=400')).json().total).toBe(1);
      expect((await get('/v1/insiders?sort=revenue&order=asc&limit=1')).json()).toMatchObject({ total: 2, items: [{ customerId: '12348' }] });
      expect((await get('/v1/insiders?limit=1&offset=1')).json().items[0].customerId).toBe('12348');
      expect((await get('/v1/insiders?limit=1&offset=5')).json()).toMatchObject({ total: 2, items: [] });
      expect((await get('/v1/insiders?q=1234')).json().total).toBe(2);
      expect((await get('/v1/insiders?q=12348')).json().items.map((i: { customerId: string }) => i.customerId)).toEqual(['12348']);
      expect((await get('/v1/insiders?sort=name')).json().message).toMatch(/^sort: /);
      expect((await get('/v1/insiders?limit=0')).json().message).toBe('limit: must be >= 1');
    });

    it('exports CSV with the same filters', async () => {
      const res = await get('/v1/insiders/export.csv?sort=customerId&order=asc');
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain('text/csv');
      expect(res.headers['content-disposition']).toContain('insiders.csv');
      const lines = res.body.trim().split('\r\n');
      expect(lines[0]).toBe('customerId,segmentId,segmentName,modelVersion,confidence,since,country,revenue,recencyDays,frequency,invoices,items,returns,avgTicket');
      expect(lines).toHaveLength(3);
      expect(lines[1]).toMatch(/^12347,0,Elite Spenders,2,0\.97,2011-06-01T00:00:00\.000Z,Iceland,455,38,/);
    });

    it('lists Insiders entered and exited in a time range with totals', async () => {
      const res = await get('/v1/insiders/transitions?from=2011-05-01T00:00:00Z&to=2011-07-01T00:00:00Z');
      const body = res.json();
      expect(body).toMatchObject({ entered: 1, exited: 1 });
      expect(body.items.map((i: { customerId: string; direction: string }) => [i.customerId, i.direction])).toEqual([
        ['12348', 'entered'],
        ['12351', 'exited'],
      ]);
      const year = (await get('/v1/insiders/transitions?from=2011-01-01T00:00:00Z&to=2012-01-01T00:00:00Z&direction=entered')).json();
      expect(year.entered).toBe(3);
      expect(year.items.map((i: { customerId: string }) => i.customerId)).toEqual(['12347', '12351', '12348']);
      expect((await get('/v1/insiders/transitions?direction=sideways')).json().message).toMatch(/^direction: /);
    });
  });

  describe('models', () => {
    it('lists versions with metrics, newest first, and the active one', async () => {
      const body = (await get('/v1/models')).json();
      expect(body.total).toBe(2);
      expect(body.items.map((m: { version: number; status: string }) => [m.version, m.status])).toEqual([
        [2, 'active'],
        [1, 'retired'],
      ]);
      expect(body.items[0]).toMatchObject({ k: 3, silhouette: 0.47, ariPrevious: 0.62, timings: { total: 1234 } });
      expect((await get('/v1/models/active')).json().version).toBe(2);
      expect((await get('/v1/models/1')).json().status).toBe('retired');
      expect((await get('/v1/models/9')).statusCode).toBe(404);
      expect((await get('/v1/models/0')).json().message).toMatch(/^version: /);
    });
  });

  describe('admin and security', () => {
    it('refit: 401 without key, 401 with an unknown key, 403 with a read key, 202 with the admin key', async () => {
      expect((await post('/v1/admin/refit', {})).statusCode).toBe(401);
      expect((await post('/v1/admin/refit', {}, { 'x-api-key': 'wrong' })).statusCode).toBe(401);
      expect((await post('/v1/admin/refit', {}, { 'x-api-key': TEST_READ_KEY })).statusCode).toBe(403);
      const ok = await post('/v1/admin/refit', { reason: 'campaign' }, { 'x-api-key': TEST_ADMIN_KEY });
      expect(ok.statusCode).toBe(202);
      expect(ok.json()).toEqual({ accepted: true, id: 'refit-1' });
      expect(refits).toHaveLength(1);
      expect(refits[0]!.reason).toBe('campaign');
      expect(refits[0]!.requestedBy).toMatch(/^[0-9a-f]{12}$/);
      const bad = await post('/v1/admin/refit', { reason: '' }, { 'x-api-key': TEST_ADMIN_KEY });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().message).toMatch(/^reason: /);
    });

    it('replay: 503 when no replay trigger is bound', async () => {
      const res = await post('/v1/admin/replay', { file: 'Ecommerce.csv' }, { 'x-api-key': TEST_ADMIN_KEY });
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toContain('replay trigger');
    });

    it('live stream: 503 when no event bus is bound', async () => {
      const res = await get('/v1/live/segment-changes');
      expect(res.statusCode).toBe(503);
      expect(res.json().message).toContain('no event bus');
    });

    it('reads are open by default but an unknown key is still rejected', async () => {
      expect((await get('/v1/segments')).statusCode).toBe(200);
      expect((await get('/v1/segments', { 'x-api-key': 'nope' })).statusCode).toBe(401);
      expect((await get('/v1/segments', { 'x-api-key': TEST_READ_KEY })).statusCode).toBe(200);
    });

    it('serves the OpenAPI document and UI, liveness, readiness and metrics', async () => {
      const doc = (await get('/docs-json')).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/customers/{customerId}', '/v1/insiders', '/grafana/query', '/v1/live/segment-changes']));
      expect((await get('/docs')).statusCode).toBe(200);
      expect((await get('/health/live')).json().status).toBe('ok');
      const ready = await get('/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.clickhouse.status).toBe('ok');
      const metrics = await get('/metrics');
      expect(metrics.body).toContain('insiders_api_http_request_duration_seconds_bucket');
    });
  });
});

describe('API security options', () => {
  let store: TestStore;
  beforeAll(async () => {
    store = await openTestStore('api_sec');
    await new ApiFixtures(store.client).standardWorld();
  });
  afterAll(async () => store?.close());

  it('requires a key for reads when API_READ_REQUIRES_KEY, accepting SHA-256 hashed keys', async () => {
    const { createHash } = await import('node:crypto');
    const hash = createHash('sha256').update('hashed-reader-key').digest('hex');
    const app = await createApiTestApp(store, {
      config: testApiConfig({ API_READ_REQUIRES_KEY: 'true', API_READ_KEYS: '', API_READ_KEY_HASHES: hash }),
    });
    try {
      expect((await app.inject({ url: '/v1/segments' })).statusCode).toBe(401);
      expect((await app.inject({ url: '/v1/segments', headers: { 'x-api-key': 'hashed-reader-key' } })).statusCode).toBe(200);
      expect((await app.inject({ url: '/v1/segments', headers: { 'x-api-key': TEST_ADMIN_KEY } })).statusCode).toBe(200);
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('rate limits per key / IP with 429 and Retry-After', async () => {
    const app = await createApiTestApp(store, { config: testApiConfig({ RATE_LIMIT_PER_SECOND: '0.5', RATE_LIMIT_BURST: '3' }) });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 4; i++) codes.push((await app.inject({ url: '/v1/models' })).statusCode);
      expect(codes).toEqual([200, 200, 200, 429]);
      const limited = await app.inject({ url: '/v1/models' });
      expect(limited.statusCode).toBe(429);
      expect(limited.headers['retry-after']).toBe('2');
      // Another client (a key) has its own bucket; health is never limited.
      expect((await app.inject({ url: '/v1/models', headers: { 'x-api-key': TEST_READ_KEY } })).statusCode).toBe(200);
      expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
      // Guessed keys do not get buckets of their own: they share the IP's (empty) bucket.
      expect((await app.inject({ url: '/v1/models', headers: { 'x-api-key': 'guess-1' } })).statusCode).toBe(429);
    } finally {
      await app.close();
    }
  });

  it("uses the clusterer's explainer when bound, falling back to the API's on failure", async () => {
    const app = await createApiTestApp(store, {
      explainer: {
        explain: async (id) => {
          if (id === '12349') throw new Error('model not loaded');
          return id === '12347' ? { insider: true, neighbours: { nearest: [{ customerId: '12348', segmentId: 0, distance: 0.1 }] } } : null;
        },
      },
    });
    try {
      expect((await app.inject({ url: '/v1/customers/12347/explanation' })).json()).toEqual({
        customerId: '12347',
        source: 'clusterer',
        explanation: { insider: true, neighbours: { nearest: [{ customerId: '12348', segmentId: 0, distance: 0.1 }] } },
      });
      const fallback = (await app.inject({ url: '/v1/customers/12349/explanation' })).json();
      expect(fallback.source).toBe('api');
      expect(fallback.explanation.insider).toBe(false);
    } finally {
      await app.close();
    }
  });

  it('read model: rebuilds only when the tables changed, and then serves the new rows', async () => {
    const app = await createApiTestApp(store, { config: testApiConfig({ READ_MODEL_REFRESH_MS: '600000' }) });
    try {
      const model = app.get(CustomerReadModel);
      const generation = model.generation;
      await model.refresh();
      expect(model.generation).toBe(generation);
      expect((await app.inject({ url: '/v1/insiders' })).json().total).toBe(2);
      await new ApiFixtures(store.client).memberships([{ customerId: '12397', segmentId: 0, isInsider: true, modelVersion: 2, updatedAt: '2011-12-09T00:00:00.000Z' }]);
      expect((await app.inject({ url: '/v1/insiders' })).json().total).toBe(2);
      await model.refresh();
      expect(model.generation).toBe(generation + 1);
      expect((await app.inject({ url: '/v1/insiders' })).json().items.map((i: { customerId: string }) => i.customerId)).toEqual(['12347', '12348', '12397']);
    } finally {
      await app.close();
    }
  });

  it('composes DashboardModule and ReportModule when their folders exist', async () => {
    const app = await createApiTestApp(store, { optionalModules: true });
    try {
      const doc = (await app.inject({ url: '/docs-json' })).json();
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/report', '/v1/customers/{customerId}']));
      expect((await app.inject({ url: '/dashboard' })).statusCode).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('returns 500 with an errorId when storage fails, without leaking the cause', async () => {
    const app = await createApiTestApp(store);
    try {
      await store.client.command({ query: 'RENAME TABLE models TO models_gone' });
      const res = await app.inject({ url: '/v1/models' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ statusCode: 500, error: 'Internal Server Error', message: 'internal error', errorId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    } finally {
      await store.client.command({ query: 'RENAME TABLE models_gone TO models' });
      await app.close();
    }
  });
});
