import { mkdtempSync, rmSync } from 'node:fs';
import { Logger } from '@nestjs/common';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import type { InvoiceLineEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, deriveFeatures, policyPreset, policyStateKey, SEED_FEATURES, type CustomerFeatures } from '@insiders/features-core';
import { MetricsRegistry } from '@insiders/observability';
import { openClickHouse } from '@insiders/storage';
import { FeaturesRepository } from '../../apps/features/src/features.repository';
import { FeaturesService } from '../../apps/features/src/features.service';
import { InvoiceLinesProcessor } from '../../apps/features/src/invoice-lines.processor';
import { readGolden, readSeedEvents, toBatches } from '../../apps/features/src/testing/features.fixtures';

// The whole seed file through the consumer's batch processor into chDB (no broker: the Kafka path is
// features-kafka.test.ts). Features under the seed-ian policy must equal the seed project's committed output.
jest.setTimeout(900_000);
Logger.overrideLogger(['error', 'warn']);

describe('features: seed data set into chDB', () => {
  const dir = mkdtempSync(join(tmpdir(), 'features-golden-'));
  const seedIan = policyPreset('seed-ian');
  const strict = policyPreset('strict');
  let client: ClickHouseClient;
  let repository: FeaturesRepository;
  let service: FeaturesService;
  let processor: InvoiceLinesProcessor;
  let events: InvoiceLineEvent[];

  beforeAll(async () => {
    client = await openClickHouse({ database: 'features_golden', chdbPath: dir });
    repository = new FeaturesRepository(client);
    await repository.migrate('features_golden');
    service = new FeaturesService(repository, seedIan, [strict]);
    processor = new InvoiceLinesProcessor(repository, service.maintainedPolicies, DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 'test', defaultMetrics: false }));
    await processor.recover();
    await service.ensureStates();
    events = await readSeedEvents();
  });

  afterAll(async () => {
    await client?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function bySeedColumns(rows: CustomerFeatures[]): Map<string, unknown[]> {
    return new Map(rows.map((f) => [f.customerId, SEED_FEATURES.map((k) => (k === 'grossRevenue' ? Math.round(f[k] * 100) : f[k]))]));
  }

  it('reproduces the seed-ian reference features exactly (all 5,695 customers)', async () => {
    expect(events).toHaveLength(541_909);
    for (const batch of toBatches(events, 50_000)) await processor.process(batch);
    expect(await repository.countLines()).toBe(541_909);

    const features = await service.readFeatures();
    const golden = readGolden();
    expect(golden).toHaveLength(5_695);
    expect(features).toHaveLength(golden.length);
    const ours = bySeedColumns(features);
    const mismatches = golden.filter((g) => {
      const f = ours.get(g.customerId);
      const expected = [Math.round(g.grossRevenue * 100), g.recencyDays, g.products, g.frequency, g.returns];
      return JSON.stringify(f) !== JSON.stringify(expected);
    });
    expect(mismatches.slice(0, 5)).toEqual([]);
    // Synthetic customers are numbered from 19000 and flagged.
    expect(features.filter((f) => f.synthetic).every((f) => Number(f.customerId) >= 19_000)).toBe(true);
  });

  it('keeps raw events untouched (quotes, missing customer, metadata)', async () => {
    const quoted = events.find((e) => e.description?.includes('"') && e.customerId === null)!;
    expect(quoted).toBeDefined();
    const rs = await client.query({
      query: `SELECT event_id, invoice_no, stock_code, description, quantity, unit_price, customer_id, country, source, source_line, customer_key,
                     formatDateTime(invoice_time, '%Y-%m-%dT%H:%i:%S.%fZ') AS t, topic FROM invoice_lines WHERE event_id = {id:String}`,
      query_params: { id: quoted.eventId },
      format: 'JSONEachRow',
    });
    const [raw] = await rs.json<Record<string, unknown>>();
    // 64-bit integers arrive quoted from a server and unquoted from chDB
    const row = { ...raw, quantity: Number(raw.quantity), source_line: Number(raw.source_line) };
    expect(row).toMatchObject({
      event_id: quoted.eventId,
      invoice_no: quoted.invoiceNo,
      stock_code: quoted.stockCode,
      description: quoted.description,
      quantity: quoted.quantity,
      unit_price: quoted.unitPrice,
      customer_id: null,
      country: quoted.country,
      source: quoted.source,
      source_line: quoted.sourceLine,
      customer_key: `invoice:${quoted.invoiceNo}`,
      topic: 'test.invoice-lines.v1',
    });
    expect(String(raw.t).slice(0, 23)).toBe(quoted.invoiceTime.slice(0, 23));
  });

  it('computes the same features from raw lines for a policy without stored states', async () => {
    const fromStates = await service.readFeatures({ policy: 'strict' });
    const raw = new FeaturesService(repository, seedIan, []);
    const fromRaw = await raw.readFeatures({ policy: 'strict' });
    expect(fromRaw.length).toBeGreaterThan(4_000);
    expect(fromRaw.some((f) => f.synthetic)).toBe(false);
    const sort = (rows: CustomerFeatures[]) => [...rows].sort((a, b) => a.customerId.localeCompare(b.customerId));
    expect(sort(fromStates)).toEqual(sort(fromRaw));
  });

  it('reads the same current features from the running states as from merging the day states, by id or all', async () => {
    const sort = (rows: CustomerFeatures[]) => [...rows].sort((a, b) => a.customerId.localeCompare(b.customerId));
    for (const policy of [seedIan, strict]) {
      const current = sort(await service.readFeatures({ policy: policy.name }));
      const fromDays = sort((await repository.readAggregates(policy, { source: 'states' })).map(deriveFeatures));
      expect(current).toEqual(fromDays);
      // by id (GROUP BY path) equals the full read (FINAL path), synthetic ids included
      expect(sort(await service.readFeatures({ policy: policy.name, customerIds: current.map((f) => f.customerId) }))).toEqual(current);
    }
  });

  it('builds the running states of a store whose day states predate them (upgrade)', async () => {
    const before = await service.readFeatures();
    await client.command({ query: `ALTER TABLE customer_states DROP PARTITION '${policyStateKey(seedIan)}'` });
    await client.command({ query: `ALTER TABLE feature_policy_builds DELETE WHERE policy = 'customers:${policyStateKey(seedIan)}' SETTINGS mutations_sync = 1` });
    expect(await repository.policyBuilds(seedIan)).toEqual({ days: true, customers: false });
    await service.ensureStates();
    expect(await repository.policyBuilds(seedIan)).toEqual({ days: true, customers: true });
    expect(await service.readFeatures()).toEqual(before);
  });

  it('never double counts: replaying the file again and redelivering a batch change nothing', async () => {
    const before = await service.readFeatures();
    const changedBefore = await service.changedSince(new Date(0));
    // A second replay in different batch boundaries, and one batch delivered twice.
    const batches = toBatches(events, 30_000, 'test.invoice-lines.v1', 600_000);
    for (const batch of batches) await processor.process(batch);
    const again = await processor.process(batches[3]);
    expect(again).toEqual({ received: 30_000, inserted: 0, duplicates: 30_000, quarantined: 0 });
    expect(await repository.countLines()).toBe(541_909);
    expect(await service.readFeatures()).toEqual(before);
    // The feed reports those customers again (at-least-once), never loses one.
    const changedAfter = await service.changedSince(changedBefore.watermark);
    expect(new Set(changedAfter.customerIds).size).toBeGreaterThan(0);
  });

  it('re-applies the states of a batch whose raw rows were stored before a crash, exactly once', async () => {
    const before = await service.readFeatures();
    // Simulate a crash after the raw insert: rows stored under a batch_seq that was never applied.
    const extra: InvoiceLineEvent = { ...events[0], eventId: 'crash-test:1', customerId: '12347', quantity: 10, unitPrice: 1.5 };
    const [batch] = toBatches([extra], 1);
    const interrupted = new (class extends FeaturesRepository {
      override async applyBatch(): Promise<void> {
        throw new Error('killed');
      }
    })(client);
    const crashing = new InvoiceLinesProcessor(interrupted, service.maintainedPolicies, DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 't2', defaultMetrics: false }));
    await expect(crashing.process(batch)).rejects.toThrow('killed');
    expect(await repository.countLines()).toBe(541_910);
    // Redelivery alone sees a duplicate; recovery applies the stored batch once, a second recovery is a no-op.
    expect((await processor.process(batch)).inserted).toBe(0);
    expect(await processor.recover()).toBe(1);
    expect(await processor.recover()).toBe(0);
    const after = await service.readFeatures({ customerIds: ['12347'] });
    const old = before.find((f) => f.customerId === '12347')!;
    expect(after[0].grossRevenue).toBeCloseTo(old.grossRevenue + 15, 2);
    expect(after[0].products).toBe(old.products + 1);
  });

  it('repairs a crash between the day states and the running states: each table counts the batch once', async () => {
    const before = (await service.readFeatures({ customerIds: ['12347'] }))[0];
    const beforeAsOf = (await service.readFeatures({ customerIds: ['12347'], asOf: '2099-01-01' }))[0];
    const extra: InvoiceLineEvent = { ...events[0], eventId: 'crash-test:2', customerId: '12347', quantity: 4, unitPrice: 2.5 };
    const [batch] = toBatches([extra], 1);
    // The day states of the batch are stored, the view that folds them into the running states never ran (a kill
    // inside the statement): simulated by detaching the view for the first fold.
    const halfApplied = new (class extends FeaturesRepository {
      override async applyBatch(policy: Parameters<FeaturesRepository['applyBatch']>[0], seq: string): Promise<void> {
        await client.command({ query: 'DETACH TABLE customer_states_from_days' });
        try {
          await super.applyBatch(policy, seq);
        } finally {
          await client.command({ query: 'ATTACH TABLE customer_states_from_days' });
        }
        throw new Error('killed between the state tables');
      }
    })(client);
    const crashing = new InvoiceLinesProcessor(halfApplied, service.maintainedPolicies, DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 't3', defaultMetrics: false }));
    await expect(crashing.process(batch)).rejects.toThrow('killed between');
    expect(await processor.recover()).toBe(1);
    const after = (await service.readFeatures({ customerIds: ['12347'] }))[0];
    const afterAsOf = (await service.readFeatures({ customerIds: ['12347'], asOf: '2099-01-01' }))[0];
    expect(after.grossRevenue).toBeCloseTo(before.grossRevenue + 10, 2);
    expect(after.products).toBe(before.products + 1);
    // the day states (as-of reads) got the batch once too, not twice
    expect(afterAsOf.grossRevenue).toBeCloseTo(beforeAsOf.grossRevenue + 10, 2);
    expect(afterAsOf).toEqual(after);
  });

  it('reads features as of a past day and for selected customers', async () => {
    const asOf = await service.readFeatures({ asOf: '2017-06-30' });
    expect(asOf.length).toBeGreaterThan(2_000);
    expect(asOf.every((f) => f.lastPurchaseDay <= '2017-06-30')).toBe(true);
    expect(Math.min(...asOf.map((f) => f.recencyDays))).toBe(0);
    const all = await service.readFeatures();
    const synthetic = all.find((f) => f.synthetic)!;
    const some = await service.readFeatures({ customerIds: ['12347', synthetic.customerId] });
    expect(some.map((f) => f.customerId).sort()).toEqual(['12347', synthetic.customerId]);
    expect(some.find((f) => f.synthetic)).toEqual(synthetic);
    // recency keeps the global reference day when reading a subset
    expect(some.find((f) => f.customerId === '12347')).toEqual(all.find((f) => f.customerId === '12347'));
  });
});
