import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { dayStatesSelectSql, policyPreset } from '@insiders/features-core';
import { BusModule, type EventBus } from '@insiders/messaging';
import { ObservabilityModule } from '@insiders/observability';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { configureApiApp } from '../../apps/api/src/api.bootstrap';
import { loadApiConfig, type ApiConfig } from '../../apps/api/src/api.config';
import { ApiModule, type ApiModuleOptions } from '../../apps/api/src/api.module';
import { CustomerReadModel } from '../../apps/api/src/customers/customer-read-model';

/**
 * Test factory for the API: a fresh chDB data directory with the real migrations, rows inserted into the
 * clusterer's and features' tables as their services write them, and a Nest app around ApiModule.
 */
export interface TestStore {
  client: ClickHouseClient;
  database: string;
  close(): Promise<void>;
}

export async function openTestStore(name = 'api'): Promise<TestStore> {
  const dir = mkdtempSync(join(tmpdir(), `insiders-${name}-`));
  const database = `${name}_test`;
  const client = await openClickHouse({ database, chdbPath: dir });
  await runMigrations(client, database);
  return {
    client,
    database,
    close: async () => {
      await client.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const ch = (iso: string) => iso.replace('T', ' ').replace('Z', '');

export interface ModelFixture {
  version: number;
  status?: 'fitting' | 'active' | 'retired' | 'rejected' | 'failed';
  createdAt: string;
  updatedAt?: string;
  trigger?: string;
  k?: number;
  silhouette?: number;
  customers?: number;
  ariPrevious?: number | null;
  params?: Record<string, unknown>;
  sizes?: Record<string, number>;
}

export interface SegmentFixture {
  segmentId: number;
  name: string;
  isInsiders?: boolean;
  size: number;
  share: number;
  revenueShare?: number;
  meanRevenue: number;
  medianRevenue?: number;
  meanRecency: number;
  meanFrequency?: number;
  meanReturns?: number;
  meanInvoices?: number;
  meanItems?: number;
  meanProducts?: number;
  meanTicket?: number;
}

export interface MembershipFixture {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  modelVersion: number;
  confidence?: number;
  updatedAt: string;
  reason?: 'refit' | 'incremental' | 'backfill';
}

export interface HistoryFixture {
  customerId: string;
  at: string;
  from: number | null;
  to: number | null;
  fromInsider: boolean;
  toInsider: boolean;
  modelVersion: number;
  reason?: 'refit' | 'incremental' | 'backfill';
}

export interface LineFixture {
  invoiceNo: string;
  stockCode: string;
  quantity: number;
  unitPrice: number;
  time: string;
  customerId: string | null;
  country: string;
}

export class ApiFixtures {
  private lineNo = 0;

  constructor(private readonly client: ClickHouseClient) {}

  async models(rows: ModelFixture[]): Promise<void> {
    await this.client.insert({
      table: 'models',
      format: 'JSONEachRow',
      values: rows.map((m) => ({
        version: m.version,
        status: m.status ?? 'active',
        created_at: ch(m.createdAt),
        updated_at: ch(m.updatedAt ?? m.createdAt),
        trigger: m.trigger ?? 'schedule',
        seed: 42,
        params: JSON.stringify(m.params ?? {}),
        data_cutoff: ch(m.createdAt),
        customers: m.customers ?? 0,
        k: m.k ?? 3,
        silhouette: m.silhouette ?? 0.5,
        silhouette_curve: JSON.stringify([{ k: m.k ?? 3, silhouette: m.silhouette ?? 0.5, bic: 0 }]),
        sizes: JSON.stringify(m.sizes ?? {}),
        timings: JSON.stringify({ total: 1234 }),
        ari_previous: m.ariPrevious ?? null,
        lineage: JSON.stringify({ survivors: [] }),
        error: '',
      })),
    });
  }

  async segments(modelVersion: number, rows: SegmentFixture[]): Promise<void> {
    await this.client.insert({
      table: 'segments',
      format: 'JSONEachRow',
      values: rows.map((s) => ({
        model_version: modelVersion,
        segment_id: s.segmentId,
        name: s.name,
        is_insiders: s.isInsiders ? 1 : 0,
        size: s.size,
        share: s.share,
        revenue_share: s.revenueShare ?? 0,
        mean_revenue: s.meanRevenue,
        median_revenue: s.medianRevenue ?? s.meanRevenue,
        mean_recency: s.meanRecency,
        mean_frequency: s.meanFrequency ?? 0,
        mean_returns: s.meanReturns ?? 0,
        mean_invoices: s.meanInvoices ?? 0,
        mean_items: s.meanItems ?? 0,
        mean_products: s.meanProducts ?? 0,
        mean_ticket: s.meanTicket ?? 0,
        origin: 'survived',
        parents: [],
      })),
    });
  }

  async memberships(rows: MembershipFixture[]): Promise<void> {
    await this.client.insert({
      table: 'memberships',
      format: 'JSONEachRow',
      values: rows.map((m, i) => ({
        customer_id: m.customerId,
        segment_id: m.segmentId,
        is_insider: m.isInsider ? 1 : 0,
        model_version: m.modelVersion,
        confidence: m.confidence ?? 0.9,
        map_x: i,
        map_y: -i,
        reason: m.reason ?? 'refit',
        updated_at: ch(m.updatedAt),
      })),
    });
  }

  async history(rows: HistoryFixture[]): Promise<void> {
    await this.client.insert({
      table: 'membership_history',
      format: 'JSONEachRow',
      values: rows.map((h) => ({
        customer_id: h.customerId,
        at: ch(h.at),
        recorded_at: ch(h.at),
        from_segment: h.from,
        to_segment: h.to,
        from_insider: h.fromInsider ? 1 : 0,
        to_insider: h.toInsider ? 1 : 0,
        model_version: h.modelVersion,
        reason: h.reason ?? 'refit',
      })),
    });
  }

  async rfm(rows: { customerId: string; modelVersion: number; r: number; f: number; m: number; segment: string }[]): Promise<void> {
    await this.client.insert({
      table: 'rfm_scores',
      format: 'JSONEachRow',
      values: rows.map((r) => ({
        customer_id: r.customerId,
        model_version: r.modelVersion,
        r: r.r,
        f: r.f,
        m: r.m,
        score: r.r * 100 + r.f * 10 + r.m,
        segment: r.segment,
        updated_at: '2011-12-10 00:00:00.000',
      })),
    });
  }

  /** Raw invoice lines as the features service stores them, then the policy's day states rebuilt from them. */
  async invoiceLines(lines: LineFixture[], policyName = 'seed-ian'): Promise<void> {
    await this.client.insert({
      table: 'invoice_lines',
      format: 'JSONEachRow',
      values: lines.map((l) => {
        const line = ++this.lineNo;
        return {
          event_id: `fixture:${line}`,
          schema: 'invoice-line/v1',
          invoice_no: l.invoiceNo,
          stock_code: l.stockCode,
          description: null,
          quantity: l.quantity,
          invoice_time: ch(l.time),
          unit_price: l.unitPrice,
          customer_id: l.customerId,
          country: l.country,
          source: 'fixture',
          source_line: line,
          customer_key: l.customerId ?? `invoice:${l.invoiceNo}`,
          topic: 'fixture',
          partition: 0,
          offset: line,
          ingested_at: ch(new Date().toISOString()),
          batch_seq: 1,
        };
      }),
    });
    await this.client.command({
      query: `INSERT INTO customer_day_states ${dayStatesSelectSql(policyPreset(policyName))}`,
      clickhouse_settings: { wait_end_of_query: 1 },
    });
  }

  /**
   * A small, fully known world (numbers the tests assert are derived in the comments):
   *  - models v1 (2011-03-01, retired) and v2 (2011-06-01, active); segments 0 Elite Spenders (Insiders),
   *    1 Engaged, 2 Dormant.
   *  - history: 2011-03-01 first assignments 12347→0*, 12348→1, 12349→1, 12350→2, 12351→0* (* Insider);
   *    2011-06-01 refit: 12348 1→0 (entered), 12351 0→1 (exited); 2011-09-15 incremental: 12350 2→1.
   *  - current: 12347 0*, 12348 0*, 12349 1, 12350 1, 12351 1.
   *  - features (seed-ian): revenue 12347 455.00 (3 invoices, last 2011-11-01), 12348 350.00 (POST line excluded),
   *    12349 60.00 (+ a return of 5 items), 12350 17.00, 12351 60.00 (last 2011-12-09 = reference day).
   */
  async standardWorld(): Promise<void> {
    await this.models([
      { version: 1, status: 'retired', createdAt: '2011-03-01T00:00:00.000Z', updatedAt: '2011-03-01T00:05:00.000Z', trigger: 'initial', k: 3, silhouette: 0.41, customers: 5, ariPrevious: null },
      { version: 2, status: 'active', createdAt: '2011-06-01T00:00:00.000Z', updatedAt: '2011-06-01T00:03:00.000Z', trigger: 'schedule', k: 3, silhouette: 0.47, customers: 5, ariPrevious: 0.62 },
    ]);
    const profiles = (v: number): SegmentFixture[] => [
      { segmentId: 0, name: 'Elite Spenders', isInsiders: true, size: 2, share: 0.4, revenueShare: 805 / 942, meanRevenue: 402.5 + v, meanRecency: 45, meanFrequency: 0.02, meanInvoices: 2.5, meanItems: 252, meanProducts: 3, meanTicket: 161 },
      { segmentId: 1, name: 'Engaged', size: 3, share: 0.6, revenueShare: 137 / 942, meanRevenue: 45.67, meanRecency: 100, meanFrequency: 0.01, meanInvoices: 1.3, meanItems: 30, meanProducts: 1.3, meanTicket: 35 },
      { segmentId: 2, name: 'Dormant', size: 0, share: 0, meanRevenue: 17, meanRecency: 310, meanInvoices: 1, meanItems: 20, meanProducts: 1, meanTicket: 17 },
    ];
    await this.segments(1, profiles(1));
    await this.segments(2, profiles(2));
    const march = '2011-03-01T00:00:00.000Z';
    const june = '2011-06-01T00:00:00.000Z';
    const sept = '2011-09-15T12:00:00.000Z';
    await this.history([
      { customerId: '12347', at: march, from: null, to: 0, fromInsider: false, toInsider: true, modelVersion: 1 },
      { customerId: '12348', at: march, from: null, to: 1, fromInsider: false, toInsider: false, modelVersion: 1 },
      { customerId: '12349', at: march, from: null, to: 1, fromInsider: false, toInsider: false, modelVersion: 1 },
      { customerId: '12350', at: march, from: null, to: 2, fromInsider: false, toInsider: false, modelVersion: 1 },
      { customerId: '12351', at: march, from: null, to: 0, fromInsider: false, toInsider: true, modelVersion: 1 },
      { customerId: '12348', at: june, from: 1, to: 0, fromInsider: false, toInsider: true, modelVersion: 2 },
      { customerId: '12351', at: june, from: 0, to: 1, fromInsider: true, toInsider: false, modelVersion: 2 },
      { customerId: '12350', at: sept, from: 2, to: 1, fromInsider: false, toInsider: false, modelVersion: 2, reason: 'incremental' },
    ]);
    await this.memberships([
      { customerId: '12347', segmentId: 0, isInsider: true, modelVersion: 2, confidence: 0.97, updatedAt: june },
      { customerId: '12348', segmentId: 0, isInsider: true, modelVersion: 2, confidence: 0.81, updatedAt: june },
      { customerId: '12349', segmentId: 1, isInsider: false, modelVersion: 2, updatedAt: june },
      { customerId: '12350', segmentId: 1, isInsider: false, modelVersion: 2, updatedAt: sept, reason: 'incremental' },
      { customerId: '12351', segmentId: 1, isInsider: false, modelVersion: 2, updatedAt: june },
    ]);
    await this.rfm([{ customerId: '12347', modelVersion: 2, r: 4, f: 4, m: 5, segment: 'Champions' }]);
    await this.invoiceLines([
      { invoiceNo: '537626', stockCode: '85116', quantity: 10, unitPrice: 2.5, time: '2011-01-26T10:00:00Z', customerId: '12347', country: 'Iceland' },
      { invoiceNo: '537626', stockCode: '22375', quantity: 24, unitPrice: 1.25, time: '2011-01-26T10:00:00Z', customerId: '12347', country: 'Iceland' },
      { invoiceNo: '542237', stockCode: '84969', quantity: 100, unitPrice: 3, time: '2011-05-10T09:30:00Z', customerId: '12347', country: 'Iceland' },
      { invoiceNo: '573511', stockCode: '22371', quantity: 50, unitPrice: 2, time: '2011-11-01T12:00:00Z', customerId: '12347', country: 'Iceland' },
      { invoiceNo: '548955', stockCode: '84992', quantity: 200, unitPrice: 1, time: '2011-04-05T10:47:00Z', customerId: '12348', country: 'Finland' },
      { invoiceNo: '548955', stockCode: 'POST', quantity: 1, unitPrice: 40, time: '2011-04-05T10:47:00Z', customerId: '12348', country: 'Finland' },
      { invoiceNo: '568172', stockCode: '23077', quantity: 100, unitPrice: 1.5, time: '2011-09-25T13:13:00Z', customerId: '12348', country: 'Finland' },
      { invoiceNo: '577609', stockCode: '23245', quantity: 30, unitPrice: 2, time: '2011-11-20T11:00:00Z', customerId: '12349', country: 'Italy' },
      { invoiceNo: 'C577610', stockCode: '23245', quantity: -5, unitPrice: 2, time: '2011-11-21T11:00:00Z', customerId: '12349', country: 'Italy' },
      { invoiceNo: '543037', stockCode: '79066K', quantity: 20, unitPrice: 0.85, time: '2011-02-02T16:01:00Z', customerId: '12350', country: 'Norway' },
      { invoiceNo: '555001', stockCode: '21931', quantity: 40, unitPrice: 1, time: '2011-06-01T08:00:00Z', customerId: '12351', country: 'Belgium' },
      { invoiceNo: '581500', stockCode: '22197', quantity: 10, unitPrice: 2, time: '2011-12-09T12:50:00Z', customerId: '12351', country: 'Belgium' },
    ]);
  }
}

export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';
export const TEST_READ_KEY = 'test-read-key-0123456789';

/** API configuration for tests: known keys, no rate limit unless asked, no cache unless asked. */
export function testApiConfig(overrides: Record<string, string> = {}): ApiConfig {
  return loadApiConfig({
    API_KEYS: TEST_ADMIN_KEY,
    API_READ_KEYS: TEST_READ_KEY,
    RATE_LIMIT_PER_SECOND: '0',
    CACHE_TTL_MS: '0',
    READ_MODEL_REFRESH_MS: '0',
    TOPIC_PREFIX: 'test',
    WEBHOOK_BACKOFF_MS: '20',
    SSE_HEARTBEAT_MS: '60000',
    ...overrides,
  });
}

/**
 * A Nest app of the API over an open store (and an optional bus), ready for `inject` or `listen(0)`.
 * DashboardModule / ReportModule are left out unless `optionalModules: true` (they are tested by their owners).
 */
export async function createApiTestApp(
  store: TestStore,
  options: { bus?: EventBus; config?: ApiConfig } & Omit<ApiModuleOptions, 'config'> = {},
): Promise<NestFastifyApplication> {
  const config = options.config ?? testApiConfig();
  const moduleRef = await Test.createTestingModule({
    imports: [
      StorageModule.forClient(store.client),
      ...(options.bus ? [BusModule.forBus(options.bus)] : []),
      ObservabilityModule.forRoot({ service: 'api', defaultMetrics: false }),
      ApiModule.forRoot({
        config,
        refitTrigger: options.refitTrigger,
        replayTrigger: options.replayTrigger,
        explainer: options.explainer,
        optionalModules: options.optionalModules ?? false,
      }),
    ],
  }).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: ['error', 'warn'] });
  configureApiApp(app, config);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  if (config.READ_MODEL_REFRESH_MS > 0) await app.get(CustomerReadModel).refresh();
  return app;
}

/** Polls `check` until it stops throwing (or `timeoutMs` passes, then rethrows its last error). */
export async function expectEventually(check: () => void | Promise<void>, timeoutMs = 10_000, everyMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await check();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  }
}

/** A segment-change/v1 event as the clusterer publishes it. */
export function segmentChange(
  customerId: string,
  from: { id: number; name: string; insiders: boolean } | null,
  to: { id: number; name: string; insiders: boolean } | null,
  overrides: { fromInsider?: boolean; toInsider?: boolean; at?: string; modelVersion?: number } = {},
): Record<string, unknown> {
  const fromInsider = overrides.fromInsider ?? from?.insiders ?? false;
  const toInsider = overrides.toInsider ?? to?.insiders ?? false;
  const at = overrides.at ?? '2011-12-10T00:00:00.000Z';
  const modelVersion = overrides.modelVersion ?? 2;
  return {
    schema: 'segment-change/v1',
    eventId: `incremental:${modelVersion}:${customerId}:${at}`,
    customerId,
    type: from === null ? 'entered' : to === null ? 'exited' : 'moved',
    from,
    to,
    fromInsider,
    toInsider,
    insider: fromInsider === toInsider ? 'unchanged' : toInsider ? 'entered' : 'exited',
    modelVersion,
    previousModelVersion: from === null ? null : modelVersion,
    at,
    emittedAt: new Date().toISOString(),
    reason: 'incremental',
  };
}
