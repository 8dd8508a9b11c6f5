import 'reflect-metadata';
import { rmSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { encodeInvoiceLine, invoiceLineKey, parseSegmentChangeEvent, type InvoiceLineEvent, type SegmentChangeEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset, type CustomerFeatures } from '@insiders/features-core';
import { BusModule, createEventBus, topicsFor, type EventBus, type Subscription } from '@insiders/messaging';
import { MetricsRegistry } from '@insiders/observability';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { expectEventually, kafkaBrokersFromEnv, tempChdbDir, uniqueName } from '@insiders/testing';
import { FeaturesRepository } from '../../apps/features/src/features.repository';
import { FeaturesService } from '../../apps/features/src/features.service';
import { InvoiceLinesProcessor } from '../../apps/features/src/invoice-lines.processor';
import { readSeedEvents } from '../../apps/features/src/testing/features.fixtures';
import { BackfillHistoryUseCase, ClustererModule, ClustererService, ExplainCustomerUseCase, loadClustererConfig } from '../../apps/clusterer/src';
import { ClustererRepository } from '../../apps/clusterer/src/clusterer.repository';

// The seed data set replayed through the real broker into the features tables (chDB), then the clusterer:
//  1. a first refit → Insiders exist with the documented profile; one `entered` event per customer;
//  2. the last month of data arrives → incremental assignment publishes exactly the membership differences;
//  3. a second refit on the larger data set → survivors keep their ids (and names), change events are exactly the
//     membership differences, the adjusted Rand index against the first model is reported;
//  4. explanations and a backfill of the history for past dates.

const DATABASE = 'insiders';
const SPLIT = '2017-11-08T00:00:00.000Z'; // part A: everything before (≈ 11 months), part B: the last month

type Key = string;
const changeKey = (customerId: string, from: { segmentId: number; isInsider: boolean } | null, to: { segmentId: number; isInsider: boolean } | null): Key =>
  `${customerId}|${from ? `${from.segmentId}/${Number(from.isInsider)}` : '-'}|${to ? `${to.segmentId}/${Number(to.isInsider)}` : '-'}`;
const eventKey = (e: SegmentChangeEvent): Key =>
  changeKey(e.customerId, e.from ? { segmentId: e.from.id, isInsider: e.fromInsider } : null, e.to ? { segmentId: e.to.id, isInsider: e.toInsider } : null);

function membershipDiff(before: Map<string, { segmentId: number; isInsider: boolean }>, after: Map<string, { segmentId: number; isInsider: boolean }>): Key[] {
  const out: Key[] = [];
  for (const [id, to] of after) {
    const from = before.get(id) ?? null;
    if (!from || from.segmentId !== to.segmentId || from.isInsider !== to.isInsider) out.push(changeKey(id, from, to));
  }
  for (const [id, from] of before) if (!after.has(id)) out.push(changeKey(id, from, null));
  return out.sort();
}

describe('clusterer on the seed data set (real broker, chDB)', () => {
  const dir = tempChdbDir('clusterer-it');
  const prefix = uniqueName('clu');
  const topics = topicsFor(prefix);
  const config = loadClustererConfig({
    CLICKHOUSE_DATABASE: DATABASE,
    CHDB_PATH: dir,
    KAFKA_BROKERS: kafkaBrokersFromEnv().join(','),
    TOPIC_PREFIX: prefix,
    CLUSTERER_SCHEDULER: 'false',
    CLUSTERER_TREES: '100',
  });
  let client: ClickHouseClient;
  let bus: EventBus;
  let app: INestApplicationContext;
  let repo: ClustererRepository;
  let service: ClustererService;
  let features: FeaturesRepository;
  const subscriptions: Subscription[] = [];
  const received = new Map<string, SegmentChangeEvent>(); // by event id (at-least-once delivery)
  let processed = 0;
  let partA: InvoiceLineEvent[] = [];
  let partB: InvoiceLineEvent[] = [];

  const eventsOf = (reason: string, version: number): SegmentChangeEvent[] =>
    [...received.values()].filter((e) => e.reason === reason && e.modelVersion === version);

  async function publish(events: InvoiceLineEvent[]): Promise<void> {
    for (let i = 0; i < events.length; i += 20_000) {
      await bus.publish(topics.invoiceLines, events.slice(i, i + 20_000).map((e) => ({ key: invoiceLineKey(e), value: encodeInvoiceLine(e) })));
    }
  }

  beforeAll(async () => {
    client = await openClickHouse({ database: DATABASE, chdbPath: dir });
    await runMigrations(client, DATABASE);
    bus = createEventBus(config);
    await bus.ensureTopics([{ topic: topics.invoiceLines, partitions: 3 }, { topic: topics.segmentChanges, partitions: 3 }]);
    features = new FeaturesRepository(client);
    // as the features app starts: states of the maintained policy built (here: on the empty store), so readers merge
    // day states (refits) and read the running per-customer states (incremental assignment)
    await new FeaturesService(features, policyPreset(config.FEATURE_POLICY), []).ensureStates();
    const processor = new InvoiceLinesProcessor(features, [policyPreset(config.FEATURE_POLICY)], DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 'test', defaultMetrics: false }));
    // the features consumer: invoice lines from the broker into ClickHouse
    subscriptions.push(
      await bus.subscribe({ topic: topics.invoiceLines, groupId: `${prefix}-features` }, async (batch) => {
        const outcome = await processor.process(batch);
        processed += outcome.received;
      }),
    );
    // a downstream service: every segment-change event from the broker
    subscriptions.push(
      await bus.subscribe({ topic: topics.segmentChanges, groupId: `${prefix}-listener` }, async (batch) => {
        for (const m of batch.messages) {
          const e = parseSegmentChangeEvent(JSON.parse(m.value.toString('utf8')));
          expect(m.key).toBe(e.customerId);
          received.set(e.eventId, e);
        }
      }),
    );
    const all = await readSeedEvents();
    partA = all.filter((e) => e.invoiceTime < SPLIT);
    partB = all.filter((e) => e.invoiceTime >= SPLIT);
    app = await NestFactory.createApplicationContext(
      { module: class ClustererItRoot {}, imports: [StorageModule.forClient(client), BusModule.forBus(bus), ClustererModule.register(config)] },
      { logger: ['error', 'warn', 'log'] },
    );
    repo = new ClustererRepository(client);
    service = app.get(ClustererService);
  }, 600_000);

  afterAll(async () => {
    for (const s of subscriptions) await s.stop();
    await app?.close();
    await bus?.close();
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fits a first model with Insiders of the documented profile and announces every customer', async () => {
    await publish(partA);
    await expectEventually(() => expect(processed).toBe(partA.length), { timeoutMs: 540_000, intervalMs: 500 });

    const result = await service.runRefit('initial');
    expect(result).toMatchObject({ version: 1, status: 'active' });
    const model = (await repo.activeModel())!;
    expect(model.version).toBe(1);
    expect(model.k).toBeGreaterThanOrEqual(config.CLUSTERER_K_MIN);
    expect(JSON.parse(model.silhouette_curve)).toHaveLength(config.CLUSTERER_K_MAX - config.CLUSTERER_K_MIN + 1);

    // Insiders: one segment, 8–17 % of customers (the rule's bounds), a large share of the revenue, recent buyers
    const segments = await repo.segments(1);
    const insiders = segments.filter((s) => s.is_insiders === 1);
    expect(insiders).toHaveLength(1);
    const ins = insiders[0]!;
    const totalCustomers = segments.reduce((s, x) => s + x.size, 0);
    const meanRevenue = segments.reduce((s, x) => s + x.mean_revenue * x.size, 0) / totalCustomers;
    console.log(
      `Insiders (model 1): ${(ins.share * 100).toFixed(1)}% of ${totalCustomers} customers, ${(ins.revenue_share * 100).toFixed(1)}% of revenue, ` +
        `mean revenue ${ins.mean_revenue.toFixed(0)} (all: ${meanRevenue.toFixed(0)}), mean recency ${ins.mean_recency.toFixed(0)} d; ` +
        `k=${model.k}, silhouette ${model.silhouette.toFixed(3)}, RFM agreement (ARI) ${model.rfm_agreement?.toFixed(3)}`,
    );
    expect(ins.share).toBeGreaterThanOrEqual(0.08);
    expect(ins.share).toBeLessThanOrEqual(0.17);
    expect(ins.revenue_share).toBeGreaterThan(0.4);
    expect(ins.mean_revenue).toBeGreaterThan(3 * meanRevenue);
    expect(ins.mean_recency).toBeLessThanOrEqual(90);
    expect(new Set(segments.map((s) => s.name)).size).toBe(segments.length);

    // every customer entered, exactly once, on the bus
    const memberships = await repo.currentMemberships();
    expect(memberships.size).toBe(totalCustomers);
    await expectEventually(() => expect(eventsOf('refit', 1)).toHaveLength(memberships.size), { timeoutMs: 60_000 });
    expect(eventsOf('refit', 1).every((e) => e.type === 'entered' && e.from === null)).toBe(true);
    expect(eventsOf('refit', 1).map(eventKey).sort()).toEqual(membershipDiff(new Map(), memberships));
  }, 600_000);

  it('re-assigns changed and new customers between refits, publishing exactly the differences', async () => {
    const before = await repo.currentMemberships();
    await publish(partB);
    await expectEventually(() => expect(processed).toBe(partA.length + partB.length), { timeoutMs: 300_000, intervalMs: 500 });
    let assigned = 0;
    for (let r = await service.assignChangedNow(); r.customers > 0; r = await service.assignChangedNow()) assigned += r.customers;
    expect(assigned).toBeGreaterThan(0);
    const after = await repo.currentMemberships();
    expect(after.size).toBeGreaterThan(before.size); // new customers in the last month
    const expected = membershipDiff(before, after);
    await expectEventually(() => expect(eventsOf('incremental', 1).map(eventKey).sort()).toEqual(expected), { timeoutMs: 60_000 });

    // incremental assignment and refits read the running per-customer states; merging the day states (as of a day
    // after the last event, as a backfill does) gives the same features
    const policy = policyPreset(config.FEATURE_POLICY);
    const sameFeatures = (expected: CustomerFeatures[], actual: CustomerFeatures[]) => {
      const byId = new Map(actual.map((f) => [f.customerId, f]));
      expect(byId.size).toBe(expected.length);
      for (const f of expected) {
        const g = byId.get(f.customerId);
        expect(g).toBeDefined();
        for (const [name, value] of Object.entries(f)) {
          const other = (g as unknown as Record<string, unknown>)[name];
          if (typeof value === 'number') expect(Math.abs(value - (other as number))).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(value)));
          else if (Array.isArray(value)) (value as number[]).forEach((v, i) => expect(Math.abs(v - (other as number[])[i]!)).toBeLessThanOrEqual(1e-9));
          else expect(other).toEqual(value);
        }
      }
    };
    const viaDays = await repo.readFeatures(policy, { asOfDay: '2099-12-31' });
    expect(viaDays.some((f) => f.synthetic)).toBe(policy.missingCustomers === 'synthesize');
    sameFeatures(viaDays, await repo.readFeatures(policy)); // all customers (refit): running states, synthetic ids included
    const known = viaDays.filter((f) => !f.synthetic);
    const viaRunning = await repo.readCurrentFeatures(policy, new Map(known.map((f) => [f.customerId, f.customerId])));
    expect(viaRunning).not.toBeNull();
    sameFeatures(known, viaRunning!);
  }, 600_000);

  it('refits on more data: survivors keep ids and names, events are exactly the membership differences', async () => {
    const before = await repo.currentMemberships();
    const result = await service.runRefit('manual', 'more data');
    expect(result).toMatchObject({ version: 2, status: 'active' });
    const after = await repo.currentMemberships();
    expect([...after.values()].every((m) => m.modelVersion === 2)).toBe(true);
    await expectEventually(() => expect(eventsOf('refit', 2).map(eventKey).sort()).toEqual(membershipDiff(before, after)), { timeoutMs: 60_000 });

    const models = new Map((await repo.models()).map((m) => [m.version, m]));
    expect(models.get(1)!.status).toBe('retired');
    expect(models.get(2)!.status).toBe('active');
    const ari = models.get(2)!.ari_previous;
    console.log(`model 2: ARI vs model 1 ${ari?.toFixed(3)}, lineage ${models.get(2)!.lineage}; ${eventsOf('refit', 2).length} change events`);
    expect(ari).not.toBeNull();
    expect(ari!).toBeGreaterThan(0.3);

    // survivors: the matched previous segment's id and name; the recorded Jaccard overlap is the one of the actual
    // memberships (customers in both fits) and reaches the matching threshold
    const v1 = new Map((await repo.segments(1)).map((s) => [s.segment_id, s]));
    const v2 = await repo.segments(2);
    const lineage = JSON.parse(models.get(2)!.lineage) as { survived: { id: number; jaccard: number }[] };
    const survivors = v2.filter((s) => s.origin === 'survived' || s.origin === 'merged');
    expect(survivors.length).toBeGreaterThanOrEqual(Math.ceil(v1.size / 2));
    expect(survivors.map((s) => s.segment_id).sort()).toEqual(lineage.survived.map((x) => x.id).sort());
    for (const s of survivors) {
      expect(v1.has(s.segment_id)).toBe(true);
      let inter = 0;
      let union = 0;
      for (const [id, m] of after) {
        const prev = before.get(id);
        if (!prev) continue;
        const a = prev.segmentId === s.segment_id;
        const b = m.segmentId === s.segment_id;
        if (a && b) inter++;
        if (a || b) union++;
      }
      const recorded = lineage.survived.find((x) => x.id === s.segment_id)!.jaccard;
      expect(inter / union).toBeCloseTo(recorded, 9);
      expect(recorded).toBeGreaterThanOrEqual(0.1);
      if ((s.name === 'Insiders') === (v1.get(s.segment_id)!.name === 'Insiders')) expect(s.name).toBe(v1.get(s.segment_id)!.name);
    }
    // the Insiders keep their id, and most customers keep their segment id
    expect(v2.find((s) => s.is_insiders === 1)!.segment_id).toBe([...v1.values()].find((s) => s.is_insiders === 1)!.segment_id);
    const kept = [...after].filter(([id, m]) => before.get(id)?.segmentId === m.segmentId).length;
    expect(kept / before.size).toBeGreaterThan(0.5);
    const ids = v2.map((s) => s.segment_id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const s of v2.filter((x) => x.origin === 'born' || x.origin === 'split')) expect(v1.has(s.segment_id)).toBe(false);
  }, 600_000);

  it('explains memberships and backfills history for past dates', async () => {
    const memberships = await repo.currentMemberships();
    const [customerId, membership] = [...memberships].find(([, m]) => m.isInsider)!;
    const explanation = await app.get(ExplainCustomerUseCase).execute(customerId);
    expect(explanation).toMatchObject({ customerId, segmentId: membership.segmentId, insider: true, modelVersion: 2 });
    expect(explanation.neighbours.nearest.length).toBeGreaterThan(0);
    expect(explanation.features.map((f) => f.fact)).toContain('revenue');

    const backfill = await app.get(BackfillHistoryUseCase).execute({ from: '2017-03-01', to: '2017-09-01', stepDays: 92 });
    expect(backfill).toMatchObject({ modelVersion: 2, snapshots: 3 });
    const rs = await client.query({
      query: `SELECT toString(toDate(at)) AS day, count() AS n FROM membership_history WHERE reason = 'backfill' GROUP BY day ORDER BY day`,
      format: 'JSONEachRow',
    });
    const days = await rs.json<{ day: string; n: string }>();
    expect(days[0]!.day).toBe('2017-03-01');
    for (const d of days) expect(['2017-03-01', '2017-06-01', '2017-09-01']).toContain(d.day);
    expect(Number(days[0]!.n)).toBeGreaterThan(100); // everyone enters at the first snapshot
    expect(days.reduce((s, d) => s + Number(d.n), 0)).toBe(backfill.changes);

    // history stays one chain per customer (segment sizes over time are its running sums): after the backfill
    // nobody is counted in two segments at once, and the running sums end at the current memberships
    const net = await client.query({
      query: `SELECT customer_id, sum(d) AS net FROM (
                SELECT customer_id, 1 AS d FROM membership_history WHERE to_segment IS NOT NULL
                UNION ALL SELECT customer_id, -1 AS d FROM membership_history WHERE from_segment IS NOT NULL)
              GROUP BY customer_id HAVING net NOT IN (0, 1)`,
      format: 'JSONEachRow',
    });
    expect(await net.json()).toEqual([]);
    const sizes = await client.query({
      query: `SELECT seg, sum(d) AS n FROM (
                SELECT to_segment AS seg, 1 AS d FROM membership_history WHERE to_segment IS NOT NULL
                UNION ALL SELECT from_segment AS seg, -1 AS d FROM membership_history WHERE from_segment IS NOT NULL)
              GROUP BY seg HAVING n != 0 ORDER BY seg`,
      format: 'JSONEachRow',
    });
    const fromHistory = Object.fromEntries((await sizes.json<{ seg: number; n: string }>()).map((r) => [r.seg, Number(r.n)]));
    const current: Record<number, number> = {};
    for (const m of (await repo.currentMemberships()).values()) current[m.segmentId] = (current[m.segmentId] ?? 0) + 1;
    expect(fromHistory).toEqual(current);
  }, 600_000);
});
