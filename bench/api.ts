import { fork, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { dayStatesSelectSql, policyPreset } from '@insiders/features-core';
import { BusModule, MemoryBus } from '@insiders/messaging';
import { ObservabilityModule } from '@insiders/observability';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { configureApiApp } from '../apps/api/src/api.bootstrap';
import { loadApiConfig } from '../apps/api/src/api.config';
import { ApiModule } from '../apps/api/src/api.module';
import { CustomerReadModel } from '../apps/api/src/customers/customer-read-model';
import { ApiFixtures, type HistoryFixture, type LineFixture, type MembershipFixture } from '../test/support/api-fixtures';

/**
 * bench/api: the API under autocannon, server in a child process (so the load generator does not share its event
 * loop), embedded chDB with a synthetic year of history:
 *   - customers (default 5,000, like the seed data set), ~6 invoices each over 2011 (policy seed-ian states),
 *   - 12 monthly refits (5% of customers move) and daily incremental moves (0.5%/day) in membership_history,
 *   - 8 segments, ~12% Insiders.
 * Scenarios (rate-limited open model, latency corrected for coordinated omission):
 *   lookup        GET /v1/customers/:id (random customer)     at --rate (1,000 req/s)
 *   insiders      GET /v1/insiders (12 filter/sort/page combos) at --rate
 *   grafana-year  POST /grafana/query segment_sizes + insiders entered/exited over 2011 (12 h buckets), --grafana-rate
 *   *-serial      one connection back to back (service time without queueing) for lookup, insiders, grafana-year
 *   lookup-nocache the lookup on the SQL path (READ_MODEL_REFRESH_MS=0, CACHE_TTL_MS=0; a second server), at --nocache-rate
 *
 *   node -r @swc-node/register bench/api.ts [--customers 5000] [--rate 1000] [--duration 10] [--grafana-rate 50]
 *        [--nocache-rate 200] [--per-connection-rate 100] [--only lookup,insiders,grafana-year,lookup-nocache,serial]
 */
/** The part of autocannon's result this bench reads (the package ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (options: Record<string, unknown>) => Promise<AutocannonResult>;

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

const SEGMENTS = ['Elite Spenders', 'Loyal High Spenders', 'Engaged', 'Occasional', 'Average', 'Dormant', 'Fading', 'Lost'];
const INSIDERS_SEGMENT = 0;
const COUNTRIES = ['United Kingdom', 'Germany', 'France', 'EIRE', 'Spain', 'Netherlands', 'Belgium', 'Switzerland'];
const YEAR_START = Date.parse('2011-01-01T00:00:00Z');
const DAY = 86_400_000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const iso = (ms: number) => new Date(ms).toISOString();
const customerId = (i: number) => String(12_000 + i);

export async function seed(chdbPath: string, customers: number): Promise<void> {
  const client = await openClickHouse({ database: 'bench_api', chdbPath });
  await runMigrations(client, 'bench_api');
  const f = new ApiFixtures(client);
  const random = rng(42);
  const segmentOf = Array.from({ length: customers }, () => (random() < 0.12 ? INSIDERS_SEGMENT : 1 + Math.floor(random() * 7)));

  // Invoice lines: ~6 invoices per customer, 1-4 lines each, over 2011.
  const lines: LineFixture[] = [];
  let invoice = 536_000;
  for (let c = 0; c < customers; c++) {
    const invoices = 1 + Math.floor(random() * (segmentOf[c] === INSIDERS_SEGMENT ? 20 : 8));
    const country = COUNTRIES[Math.floor(random() * COUNTRIES.length)]!;
    for (let k = 0; k < invoices; k++) {
      const time = iso(YEAR_START + Math.floor(random() * 343 * DAY));
      const no = String(invoice++);
      const n = 1 + Math.floor(random() * 4);
      for (let l = 0; l < n; l++) {
        lines.push({ invoiceNo: no, stockCode: String(20_000 + Math.floor(random() * 3_000)), quantity: 1 + Math.floor(random() * 24), unitPrice: Math.round((0.5 + random() * 9) * 100) / 100, time, customerId: customerId(c), country });
      }
    }
  }
  for (let i = 0; i < lines.length; i += 50_000) {
    await client.insert({
      table: 'invoice_lines',
      format: 'JSONEachRow',
      values: lines.slice(i, i + 50_000).map((l, j) => ({
        event_id: `bench:${i + j}`, schema: 'invoice-line/v1', invoice_no: l.invoiceNo, stock_code: l.stockCode, description: null,
        quantity: l.quantity, invoice_time: l.time.replace('T', ' ').replace('Z', ''), unit_price: l.unitPrice, customer_id: l.customerId,
        country: l.country, source: 'bench', source_line: i + j + 1, customer_key: l.customerId, topic: 'bench', partition: 0,
        offset: i + j, ingested_at: '2011-12-10 00:00:00.000', batch_seq: 1,
      })),
    });
  }
  await client.command({ query: `INSERT INTO customer_day_states ${dayStatesSelectSql(policyPreset('seed-ian'))}`, clickhouse_settings: { wait_end_of_query: 1 } });

  // Models: 12 monthly refits, the last active.
  await f.models(
    Array.from({ length: 12 }, (_, m) => ({
      version: m + 1,
      status: m === 11 ? ('active' as const) : ('retired' as const),
      createdAt: iso(Date.UTC(2011, m, 1)),
      updatedAt: iso(Date.UTC(2011, m, 1, 0, 4)),
      k: 8,
      silhouette: 0.4 + random() * 0.1,
      customers,
      ariPrevious: m === 0 ? null : 0.8 + random() * 0.15,
    })),
  );
  for (let v = 1; v <= 12; v++) {
    await f.segments(
      v,
      SEGMENTS.map((name, s) => ({ segmentId: s, name, isInsiders: s === INSIDERS_SEGMENT, size: customers / 8, share: 0.125, meanRevenue: 5_000 / (s + 1), meanRecency: 10 * (s + 1), meanInvoices: 8 - s, meanItems: 500 / (s + 1), meanProducts: 40 / (s + 1), meanTicket: 300 / (s + 1) })),
    );
  }

  // History: first assignment at v1, 5% moves per monthly refit, 0.5% incremental moves per day.
  const history: HistoryFixture[] = [];
  const current = [...segmentOf];
  const move = (c: number, at: number, version: number, reason: 'refit' | 'incremental') => {
    const from = current[c]!;
    const to = (from + 1 + Math.floor(random() * 7)) % 8;
    history.push({ customerId: customerId(c), at: iso(at), from, to, fromInsider: from === INSIDERS_SEGMENT, toInsider: to === INSIDERS_SEGMENT, modelVersion: version, reason });
    current[c] = to;
  };
  for (let c = 0; c < customers; c++) {
    history.push({ customerId: customerId(c), at: iso(YEAR_START), from: null, to: current[c]!, fromInsider: false, toInsider: current[c] === INSIDERS_SEGMENT, modelVersion: 1 });
  }
  for (let day = 1; day < 343; day++) {
    const at = YEAR_START + day * DAY;
    const month = new Date(at).getUTCMonth();
    const refit = new Date(at).getUTCDate() === 1;
    const moves = Math.round(customers * (refit ? 0.05 : 0.005));
    for (let k = 0; k < moves; k++) move(Math.floor(random() * customers), at + (refit ? 0 : Math.floor(random() * DAY)), month + 1, refit ? 'refit' : 'incremental');
  }
  for (let i = 0; i < history.length; i += 50_000) await f.history(history.slice(i, i + 50_000));
  const memberships: MembershipFixture[] = current.map((s, c) => ({ customerId: customerId(c), segmentId: s, isInsider: s === INSIDERS_SEGMENT, modelVersion: 12, confidence: 0.5 + random() / 2, updatedAt: '2011-12-01T00:00:00.000Z' }));
  for (let i = 0; i < memberships.length; i += 50_000) await f.memberships(memberships.slice(i, i + 50_000));
  process.stdout.write(`seeded ${customers} customers, ${lines.length} invoice lines, ${history.length} history rows\n`);
  await client.close();
}

/** Child: serve the API over the seeded store and report the port to the parent. */
async function serve(): Promise<void> {
  const chdbPath = process.env.BENCH_CHDB_PATH!;
  const config = loadApiConfig({ ...process.env, CHDB_PATH: chdbPath, CLICKHOUSE_DATABASE: 'bench_api', RATE_LIMIT_PER_SECOND: '0', PORT: '0', DOCS_ENABLED: 'false' });
  @Module({
    imports: [
      StorageModule.forRoot({ database: 'bench_api', chdbPath, migrate: false }),
      BusModule.forBus(new MemoryBus()),
      ObservabilityModule.forRoot({ service: 'api', defaultMetrics: false }),
      ApiModule.forRoot({ config, optionalModules: false }),
    ],
  })
  class BenchRoot {}
  const app = await NestFactory.create<NestFastifyApplication>(BenchRoot, new FastifyAdapter(), { logger: ['error'] });
  configureApiApp(app, config);
  await app.listen(0, '127.0.0.1');
  if (config.READ_MODEL_REFRESH_MS > 0) await app.get(CustomerReadModel).refresh();
  const port = (app.getHttpServer().address() as { port: number }).port;
  process.send!({ port });
}

async function startServer(chdbPath: string, env: Record<string, string>): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(__filename, ['--serve'], { execArgv: ['-r', '@swc-node/register'], env: { ...process.env, ...env, BENCH_CHDB_PATH: chdbPath } });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

async function stopServer(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

interface Figure {
  scenario: string;
  targetRate: number;
  achievedRate: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

async function load(
  scenario: string,
  url: string,
  rate: number,
  duration: number,
  request: () => { method?: 'GET' | 'POST'; path: string; body?: string },
): Promise<Figure> {
  // Warm-up (connections, JIT, first queries), then the measured run. rate 0 = one connection, back to back
  // (service time without queueing).
  const opts = (d: number) => ({
    url,
    connections: rate === 0 ? 1 : Math.max(4, Math.min(50, Math.ceil(rate / Number(arg('per-connection-rate', '100'))))),
    duration: d,
    ...(rate === 0 ? {} : { overallRate: rate }),
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => {
          const r = request();
          return { ...req, method: r.method ?? 'GET', path: r.path, body: r.body };
        },
      },
    ],
  });
  await autocannon(opts(2));
  const r = await autocannon(opts(duration));
  const figure: Figure = {
    scenario,
    targetRate: rate,
    achievedRate: Math.round(r.requests.average),
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
  };
  process.stdout.write(`${JSON.stringify(figure)}\n`);
  return figure;
}

async function main(): Promise<void> {
  const customers = Number(arg('customers', '5000'));
  const rate = Number(arg('rate', '1000'));
  const duration = Number(arg('duration', '10'));
  const grafanaRate = Number(arg('grafana-rate', '50'));
  const nocacheRate = Number(arg('nocache-rate', '200'));
  const only = arg('only', 'lookup,insiders,grafana-year,lookup-nocache,serial').split(',');
  const dir = mkdtempSync(join(tmpdir(), 'insiders-bench-api-'));
  const random = rng(7);
  const pick = () => customerId(Math.floor(random() * customers));
  const figures: Figure[] = [];
  try {
    const started = performance.now();
    await seed(dir, customers);
    process.stdout.write(`seed ${Math.round(performance.now() - started)} ms\n`);
    const listQueries = ['', '?sort=recency', '?sort=frequency&order=asc', '?country=Germany', '?minRevenue=500', '?limit=100', '?offset=50', '?segmentId=0', '?sort=customerId', '?minConfidence=0.8', '?q=120', '?limit=20&offset=20'];
    const grafanaBody = (target: string[]) =>
      JSON.stringify({
        range: { from: '2011-01-01T00:00:00.000Z', to: '2012-01-01T00:00:00.000Z', raw: { from: 'now-1y', to: 'now' } },
        interval: '12h',
        intervalMs: 43_200_000,
        maxDataPoints: 1_000,
        targets: target.map((t, i) => ({ refId: String.fromCharCode(65 + i), target: t, payload: '', datasource: { type: 'simpod-json-datasource', uid: 'insiders-api' } })),
      });
    if (only.some((o) => o !== 'lookup-nocache')) {
      const { url, child } = await startServer(dir, {});
      try {
        if (only.includes('lookup')) figures.push(await load('lookup', url, rate, duration, () => ({ path: `/v1/customers/${pick()}` })));
        if (only.includes('insiders')) {
          let i = 0;
          figures.push(await load('insiders', url, rate, duration, () => ({ path: `/v1/insiders${listQueries[i++ % listQueries.length]}` })));
        }
        const bodies = [grafanaBody(['segment_sizes']), grafanaBody(['insiders_entered', 'insiders_exited']), grafanaBody(['insiders_count'])];
        if (only.includes('grafana-year')) {
          let i = 0;
          figures.push(await load('grafana-year', url, grafanaRate, duration, () => ({ method: 'POST', path: '/grafana/query', body: bodies[i++ % bodies.length] })));
        }
        if (only.includes('serial')) {
          let i = 0;
          figures.push(await load('lookup-serial', url, 0, duration, () => ({ path: `/v1/customers/${pick()}` })));
          figures.push(await load('insiders-serial', url, 0, duration, () => ({ path: `/v1/insiders${listQueries[i++ % listQueries.length]}` })));
          figures.push(await load('grafana-year-serial', url, 0, duration, () => ({ method: 'POST', path: '/grafana/query', body: bodies[i++ % bodies.length] })));
        }
      } finally {
        await stopServer(child);
      }
    }
    if (only.includes('lookup-nocache')) {
      const { url, child } = await startServer(dir, { CACHE_TTL_MS: '0', READ_MODEL_REFRESH_MS: '0' });
      try {
        figures.push(await load('lookup-nocache', url, nocacheRate, duration, () => ({ path: `/v1/customers/${pick()}` })));
      } finally {
        await stopServer(child);
      }
    }
    process.stdout.write(`\n${JSON.stringify({ customers, figures }, null, 2)}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
} else if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
