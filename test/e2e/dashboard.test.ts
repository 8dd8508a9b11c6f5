import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ClickHouseClient } from '@clickhouse/client';
import { chromium, type Browser, type Page } from 'playwright-core';
import { BusModule, MemoryBus, topicsFor } from '@insiders/messaging';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { ApiModule } from '../../apps/api/src/api.module';
import { loadApiConfig } from '../../apps/api/src/api.config';
import { buildReportFixture, seedReportFixture, type ReportFixture } from '../integration/report.fixture';

/**
 * The built-in dashboard in headless Chromium against the real ApiModule on chDB fixture rows and the in-process
 * bus: the page loads with data, every chart renders the expected number of marks, a search finds a customer and
 * shows the explanation, and a live segment change shows up. Screenshots go to artifacts/ (test artefacts).
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = resolve(__dirname, '../../artifacts');
jest.setTimeout(120_000);

describe('dashboard in headless Chromium', () => {
  let dir: string;
  let client: ClickHouseClient;
  let bus: MemoryBus;
  let app: NestFastifyApplication;
  let browser: Browser;
  let page: Page;
  let base: string;
  let fixture: ReportFixture;
  /** Uncaught page errors and server errors (5xx) seen by the page: there must be none. */
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'insiders-dashboard-'));
    client = await openClickHouse({ database: 'dashboard_e2e', chdbPath: join(dir, 'chdb') });
    await runMigrations(client, 'dashboard_e2e');
    fixture = await seedReportFixture(client, buildReportFixture());
    bus = new MemoryBus();
    const config = loadApiConfig({ FEATURE_POLICY: 'seed-ian', RATE_LIMIT_PER_SECOND: '0', SSE_HEARTBEAT_MS: '1000', PORT: '0' });
    const moduleRef = await Test.createTestingModule({
      imports: [StorageModule.forClient(client), BusModule.forBus(bus), ApiModule.forRoot({ config })],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.listen(0, '127.0.0.1');
    base = (await app.getUrl()).replace('[::1]', '127.0.0.1');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 500) problems.push(`${r.status()} ${r.url()}`);
    });
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
    await bus?.close();
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves the page and its assets without any external reference', async () => {
    const res = await fetch(`${base}/dashboard`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    for (const asset of ['charts.js', 'dashboard.js', 'dashboard.css']) {
      const a = await fetch(`${base}/dashboard/assets/${asset}`);
      expect(a.status).toBe(200);
      expect(await a.text()).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    }
    expect((await fetch(`${base}/dashboard/assets/..%2Fdashboard.module.ts`)).status).toBe(404);
  });

  it('loads with data: KPIs, charts with the expected marks, the profile table', async () => {
    await page.goto(`${base}/dashboard`);
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=kpi-customers]')).toBe('60');
    expect(await page.textContent('[data-testid=kpi-insiders]')).toBe('11');
    expect(await page.textContent('[data-testid=kpi-model]')).toBe('v2');
    expect(await page.textContent('[data-testid=kpi-silhouette]')).toBe('0.520');
    expect(await page.textContent('[data-testid=kpi-revenue]')).toMatch(/^\d+\.\d%$/);

    // segment sizes: one stacked area per segment
    expect(await page.locator('[data-testid=sizes-chart] path.area').count()).toBe(3);
    // entered on 3 days (Jun 1: the 11 Insiders; Jul 1 and Jul 2), exited on 2 (Sep 1, Sep 2), per-day buckets
    expect(await page.locator('[data-testid=transitions-chart] rect.bar-entered').count()).toBe(3);
    expect(await page.locator('[data-testid=transitions-chart] rect.bar-exited').count()).toBe(2);
    // map: every customer drawn, and the canvas really has coloured pixels
    expect(await page.getAttribute('[data-testid=map]', 'data-points')).toBe('60');
    type Canvas2d = { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } };
    const painted = await page.$eval('[data-testid=map]', (c) => {
      const canvas = c as unknown as Canvas2d;
      const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) n++;
      return n;
    });
    expect(painted).toBeGreaterThan(500);
    // countries: one bar per country of the fixture, Insiders drawn over them
    const countries = new Set(fixture.customers.map((_, i) => i % 5)).size;
    expect(await page.locator('[data-testid=countries-chart] rect.country-bar').count()).toBe(countries);
    expect(await page.locator('[data-testid=countries-chart] rect.country-part').count()).toBeGreaterThan(0);
    // profile table: one row per segment, the Insiders segment first
    const rows = page.locator('[data-testid=profile-table] tbody tr');
    expect(await rows.count()).toBe(3);
    expect(await rows.first().textContent()).toContain('Elite Spenders');
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard.png'), fullPage: true });
  });

  it('finds a customer and shows the explanation', async () => {
    await page.fill('[data-testid=search-input]', '13003');
    await page.click('[data-testid=search-button]');
    await page.waitForSelector('[data-testid=customer-result][data-customer="13003"]', { timeout: 15_000 });
    const text = (await page.textContent('[data-testid=customer-result]')) ?? '';
    expect(text).toContain('Customer 13003');
    expect(text).toContain('Elite Spenders');
    expect(text).toContain('Insider');
    const explanation = (await page.textContent('[data-testid=explanation]')) ?? '';
    expect(explanation.length).toBeGreaterThan(20);
    await page.locator('[data-testid=customer-result]').screenshot({ path: join(ARTIFACTS, 'dashboard-search.png') });

    await page.fill('[data-testid=search-input]', 'nobody-here');
    await page.click('[data-testid=search-button]');
    await page.locator('[data-testid=customer-result]', { hasText: 'No customer nobody-here' }).waitFor({ timeout: 15_000 });
  });

  it('shows a live segment change from the stream', async () => {
    await page.waitForSelector('#live.on', { timeout: 15_000 });
    const event = {
      schema: 'segment-change/v1',
      eventId: 'incremental:2:13020:2011-11-15T10:00:00.000Z',
      customerId: '13020',
      type: 'moved',
      from: { id: 1, name: 'Engaged', insiders: false },
      to: { id: 0, name: 'Elite Spenders', insiders: true },
      fromInsider: false,
      toInsider: true,
      insider: 'entered',
      modelVersion: 2,
      previousModelVersion: 2,
      at: '2011-11-15T10:00:00.000Z',
      emittedAt: new Date().toISOString(),
      reason: 'incremental',
    };
    // the clusterer stores the new membership, then publishes the change
    await client.insert({
      table: 'memberships',
      values: [{ customer_id: '13020', segment_id: 0, is_insider: 1, model_version: 2, confidence: 0.9, map_x: 5, map_y: 0, reason: 'incremental', updated_at: '2011-11-15 10:00:00.000' }],
      format: 'JSONEachRow',
    });
    await bus.publish(topicsFor('insiders').segmentChanges, [{ key: '13020', value: JSON.stringify(event) }]);
    await page.locator('[data-testid=ticker] li', { hasText: '13020' }).waitFor({ timeout: 15_000 });
    expect(await page.textContent('[data-testid=ticker]')).toContain('entered Insiders');
    // the page refreshes its figures after a change: one more Insider
    await page.locator('[data-testid=kpi-insiders]', { hasText: /^12$/ }).waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-live.png'), fullPage: false });
    expect(problems).toEqual([]);
  });

  it('opens the business report as a web page from the header', async () => {
    const [report] = await Promise.all([page.context().waitForEvent('page'), page.click('header.top a:has-text("report")')]);
    await report.waitForLoadState();
    expect(report.url()).toBe(`${base}/v1/report.html`);
    expect(await report.textContent('h1')).toBe('Insiders — business report');
    expect(await report.locator('[data-testid=report] h2').count()).toBe(7);
    expect(await report.textContent('[data-testid=report]')).toContain('12 customers are Insiders');
    expect(await report.locator('[data-testid=report] table').count()).toBeGreaterThan(5);
    await report.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await report.close();
  });

  it('asks for an API key when read endpoints need one, and loads with it', async () => {
    // a second API instance on the same database, with read keys required
    const config = loadApiConfig({ FEATURE_POLICY: 'seed-ian', RATE_LIMIT_PER_SECOND: '0', API_READ_REQUIRES_KEY: 'true', API_READ_KEYS: 'reader-key-123' });
    const moduleRef = await Test.createTestingModule({ imports: [StorageModule.forClient(client), ApiModule.forRoot({ config })] }).compile();
    const locked = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await locked.listen(0, '127.0.0.1');
    try {
      const url = (await locked.getUrl()).replace('[::1]', '127.0.0.1');
      const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await p.goto(`${url}/dashboard`);
      await p.waitForSelector('#key-bar:not([hidden])', { timeout: 15_000 });
      expect(await p.textContent('[data-testid=kpi-customers]')).toBe('–');
      await p.fill('#key-input', 'reader-key-123');
      await p.click('#key-form button');
      await p.waitForSelector('body[data-loaded="true"]', { timeout: 30_000 });
      expect(await p.textContent('[data-testid=kpi-customers]')).toBe('60');
      expect(await p.isHidden('#key-bar')).toBe(true);
      await p.close();
    } finally {
      await locked.close();
    }
  });
});
