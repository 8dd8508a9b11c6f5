import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { encodeInvoiceLine, invoiceLineKey, type InvoiceLineEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset } from '@insiders/features-core';
import { KafkaBus } from '@insiders/messaging';
import { MetricsRegistry } from '@insiders/observability';
import { openClickHouse } from '@insiders/storage';
import { loadFeaturesConfig } from '../apps/features/src/features.config';
import { FeaturesRepository } from '../apps/features/src/features.repository';
import { FeaturesService } from '../apps/features/src/features.service';
import { InvoiceLinesProcessor } from '../apps/features/src/invoice-lines.processor';
import { readSeedEvents } from '../apps/features/src/testing/features.fixtures';
import { median } from '@insiders/stats';

/**
 * bench/features: the features service on the whole seed data set (541,909 lines).
 *   kafka    events/s from Kafka to queryable features: the file is published to a fresh topic first, then a
 *            consumer (KafkaBus + InvoiceLinesProcessor, seed-ian states) reads it all; the clock stops when every
 *            line is stored (the last handler resolved; its offset commit follows) and readFeatures() answers.
 *   e2e      end-to-end time for the whole file: publish and consume at the same time, CSV events in memory →
 *            Kafka → chDB → features readable.
 *   read     time to read all customers' feature vectors (readFeatures) from the kafka stage's tables: seed-ian
 *            (5,695 customers incl. synthetic) and strict (known customers only, ~4.3k).
 *            Also reads of 10 / 100 / 1,000 customers by id and changedSince (the clusterer's incremental pass).
 *   million  the same reads at N synthetic customers (default 1,000,000; 3 lines each, states built from raw).
 * Prints every run and the medians. Kafka: KAFKA_BROKERS, else scripts/kafka.sh starts a broker (and stops it).
 *
 *   node -r @swc-node/register bench/features.ts [--runs 1] [--read-runs 5] [--customers 1000000] [--only kafka,e2e,read,million]
 */
const ROOT = join(__dirname, '..');
Logger.overrideLogger(['error', 'warn']);

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}
const fmt = (n: number) => Math.round(n).toLocaleString('en');

function startBroker(): { brokers: string[]; stop: () => void } {
  if (process.env.KAFKA_BROKERS?.trim()) return { brokers: process.env.KAFKA_BROKERS.split(','), stop: () => undefined };
  const port = Number(process.env.BENCH_KAFKA_PORT ?? 19292);
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_STATE_DIR: join(ROOT, '.data/kafka-bench-features') };
  const start = spawnSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (start.status !== 0) throw new Error('could not start a Kafka broker (scripts/kafka.sh start)');
  return { brokers: [start.stdout.trim().split('\n').pop()!], stop: () => void spawnSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'stop'], { env, stdio: 'inherit' }) };
}

async function publishAll(bus: KafkaBus, topic: string, events: InvoiceLineEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 50_000) {
    await bus.publish(topic, events.slice(i, i + 50_000).map((e) => ({ key: invoiceLineKey(e), value: encodeInvoiceLine(e) })));
  }
}

/** Consumes `topic` into a fresh database until `expected` lines are stored and features are readable; returns ms. */
async function consumeAll(
  client: ClickHouseClient,
  database: string,
  brokers: string[],
  topic: string,
  expected: number,
  publish?: () => Promise<void>,
): Promise<{ ms: number; cpuMs: number; batches: number[]; rounds: number; steps: Record<string, number> }> {
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({ query: `USE ${database}` });
  const repository = new FeaturesRepository(client);
  await repository.migrate(database);
  const seedIan = policyPreset('seed-ian');
  const service = new FeaturesService(repository, seedIan, []);
    // the features app's consumer settings (FEATURES_* variables, defaults of features.config.ts)
  const config = loadFeaturesConfig();
  const processor = new InvoiceLinesProcessor(
    repository,
    service.maintainedPolicies,
    DEFAULT_QUARANTINE_BOUNDS,
    new MetricsRegistry({ service: 'bench', defaultMetrics: false }),
    Date.now,
    config.FEATURES_MAX_ROUND_LINES,
  );
  await service.ensureStates();
  const bus = new KafkaBus({
    brokers,
    clientId: 'bench-features',
    logLevel: 'error',
    maxBytesPerPartition: config.FEATURES_KAFKA_MAX_BYTES_PER_PARTITION,
    partitionsConsumedConcurrently: config.FEATURES_KAFKA_PARTITIONS_CONCURRENTLY,
  });
  const batches: number[] = [];
  let stored = 0;
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const cpu = process.cpuUsage();
  const subscription = await bus.subscribe({ topic, groupId: `${topic}-consumer`, batchesInFlight: config.FEATURES_KAFKA_BATCHES_IN_FLIGHT }, async (batch) => {
    const outcome = await processor.process(batch);
    batches.push(batch.messages.length);
    stored += outcome.inserted + outcome.duplicates + outcome.quarantined;
    if (stored >= expected) finish();
  });
  const publishing = publish?.();
  await done;
  await publishing;
  const features = await service.readFeatures();
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await subscription.stop();
  await bus.close();
  if (features.length !== 5_695) throw new Error(`expected 5,695 customers, got ${features.length}`);
  if ((await repository.countLines()) !== expected) throw new Error('line count mismatch');
  return { ms, cpuMs: (used.user + used.system) / 1000, batches, rounds: processor.rounds.count, steps: { ...processor.stepMs } };
}

async function timeReads(service: FeaturesService, policy: string | undefined, runs: number): Promise<{ customers: number; ms: number[]; cpuMs: number[] }> {
  const ms: number[] = [];
  const cpuMs: number[] = [];
  let customers = 0;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    const cpu = process.cpuUsage();
    customers = (await service.readFeatures({ policy })).length;
    const used = process.cpuUsage(cpu);
    ms.push(performance.now() - t);
    cpuMs.push((used.user + used.system) / 1000);
  }
  return { customers, ms, cpuMs };
}

/**
 * The clusterer's incremental reads: readFeatures({ customerIds }) for sets of 10 / 100 / 1,000 customers (a few
 * synthetic ids among them when there are any), `runs` times each, median wall and CPU.
 */
async function timeSmallReads(service: FeaturesService, all: readonly { customerId: string; synthetic: boolean }[], runs: number, label: string): Promise<void> {
  const known = all.filter((f) => !f.synthetic);
  const synthetic = all.filter((f) => f.synthetic);
  for (const n of [10, 100, 1_000]) {
    const ids: string[] = [];
    for (let i = 0; ids.length < n && i < all.length; i++) {
      const pool = i % 10 === 9 && synthetic.length ? synthetic : known;
      ids.push(pool[(i * 7_919) % pool.length].customerId);
    }
    const wanted = new Set(ids).size;
    const ms: number[] = [];
    const cpuMs: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      const cpu = process.cpuUsage();
      const got = await service.readFeatures({ customerIds: ids });
      const used = process.cpuUsage(cpu);
      ms.push(performance.now() - t);
      cpuMs.push((used.user + used.system) / 1000);
      if (got.length !== wanted) throw new Error(`read ${got.length} of ${wanted} customers`);
    }
    console.log(`read   ${label}: ${fmt(n)} customers by id, ${runs} runs → median ${median(ms).toFixed(1)} ms wall, ${median(cpuMs).toFixed(1)} ms CPU (target < 20 ms)`);
  }
  const ms: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    await service.changedSince(new Date(Date.now() - 1_000));
    ms.push(performance.now() - t);
  }
  console.log(`read   ${label}: changedSince(1 s ago), ${runs} runs → median ${median(ms).toFixed(1)} ms wall`);
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '1'));
  const readRuns = Number(arg('read-runs', '5'));
  const customers = Number(arg('customers', '1000000'));
  const only = arg('only', 'kafka,e2e,read,million').split(',');
  console.log(`bench/features — load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine`);
  const dir = mkdtempSync(join(tmpdir(), 'bench-features-'));
  const client = await openClickHouse({ database: 'bench_features', chdbPath: dir });
  const broker = only.some((s) => s === 'kafka' || s === 'e2e' || s === 'read') ? startBroker() : undefined;
  let readDatabase: string | undefined;
  try {
    const events = broker ? await readSeedEvents() : [];
    if (broker && only.includes('kafka')) {
      const rates: number[] = [];
      const perCpu: number[] = [];
      for (let r = 0; r < runs; r++) {
        const topic = `bench-features-${Date.now().toString(36)}`;
        const bus = new KafkaBus({ brokers: broker.brokers, clientId: 'bench-features-producer', logLevel: 'error' });
        await bus.ensureTopics([{ topic, partitions: 3 }]);
        await publishAll(bus, topic, events);
        await bus.close();
        const database = `bench_kafka_${r}`;
        const { ms, cpuMs, batches, rounds, steps } = await consumeAll(client, database, broker.brokers, topic, events.length);
        readDatabase = database;
        const rate = (events.length * 1000) / ms;
        rates.push(rate);
        perCpu.push((events.length * 1000) / cpuMs);
        console.log(
          `kafka  run ${r + 1}: ${fmt(events.length)} events Kafka → queryable features in ${(ms / 1000).toFixed(1)} s = ${fmt(rate)} events/s wall, ` +
            `${fmt((events.length * 1000) / cpuMs)} events per CPU-second of this process (kafkajs + processor + chDB) — ${batches.length} batches (median ${fmt(median(batches))} messages) in ${rounds} storage rounds; ` +
            `step ms: ${Object.entries(steps).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')}`,
        );
      }
      console.log(`kafka  median: ${fmt(median(rates))} events/s wall, ${fmt(median(perCpu))} events/CPU-s (target ≥ 100,000 events/s)`);
    }
    if (broker && only.includes('e2e')) {
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        const topic = `bench-features-e2e-${Date.now().toString(36)}`;
        const bus = new KafkaBus({ brokers: broker.brokers, clientId: 'bench-features-producer', logLevel: 'error' });
        await bus.ensureTopics([{ topic, partitions: 3 }]);
        const database = `bench_e2e_${r}`;
        const { ms } = await consumeAll(client, database, broker.brokers, topic, events.length, () => publishAll(bus, topic, events));
        await bus.close();
        readDatabase ??= database;
        times.push(ms);
        console.log(`e2e    run ${r + 1}: whole file (events → Kafka → chDB → features readable) in ${(ms / 1000).toFixed(1)} s`);
      }
      console.log(`e2e    median: ${(median(times) / 1000).toFixed(1)} s for ${fmt(events.length)} events (${fmt((events.length * 1000) / median(times))} events/s)`);
    }
    if (readDatabase && only.includes('read')) {
      await client.command({ query: `USE ${readDatabase}` });
      const service = new FeaturesService(new FeaturesRepository(client), policyPreset('seed-ian'), [policyPreset('strict')]);
      await service.ensureStates();
      for (const policy of ['seed-ian', 'strict']) {
        const { customers: n, ms, cpuMs } = await timeReads(service, policy, readRuns);
        console.log(
          `read   ${policy}: ${fmt(n)} customers' feature vectors, runs ${ms.map((m) => m.toFixed(0)).join(', ')} ms → median ${median(ms).toFixed(0)} ms wall, ${median(cpuMs).toFixed(0)} ms CPU (target < 200 ms)`,
        );
      }
      const everyone = await service.readFeatures();
      await timeSmallReads(service, everyone, Math.max(readRuns, 11), 'seed-ian, right after the ingest');
      // Right after a burst every batch's part must be read; background merges shrink that in a running system.
      await new FeaturesRepository(client).optimize();
      await timeSmallReads(service, everyone, Math.max(readRuns, 11), 'seed-ian, parts merged');
    }
    if (only.includes('million')) {
      const database = 'bench_million';
      await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
      await client.command({ query: `USE ${database}` });
      const repository = new FeaturesRepository(client);
      await repository.migrate(database);
      const t = performance.now();
      // N customers x 3 purchase lines on different days; states built from raw like a policy rebuild.
      await client.command({
        query: `INSERT INTO invoice_lines (event_id, schema, invoice_no, stock_code, description, quantity, invoice_time, unit_price, customer_id, country, source, source_line, customer_key, topic, partition, offset, ingested_at, batch_seq)
          SELECT concat('synthetic:', toString(number)), 'invoice-line/v1', toString(1000000 + number), concat('P', toString(number % 3907)), NULL,
                 1 + number % 12, toDateTime64('2017-01-01 00:00:00', 3, 'UTC') + toIntervalDay((intDiv(number, ${customers}) * 97 + number % 211) % 340),
                 0.5 + (number % 100) / 10, toString(2000000 + number % ${customers}), 'United Kingdom', 'synthetic', number, toString(2000000 + number % ${customers}),
                 'synthetic', 0, number, now64(3), 1
          FROM numbers(${customers * 3})`,
        clickhouse_settings: { wait_end_of_query: 1 },
      });
      const service = new FeaturesService(repository, policyPreset('seed-ian'), []);
      await service.ensureStates();
      console.log(`million: ${fmt(customers)} synthetic customers (${fmt(customers * 3)} lines) generated and states built in ${((performance.now() - t) / 1000).toFixed(1)} s`);
      const { customers: n, ms, cpuMs } = await timeReads(service, undefined, Math.max(1, Math.min(readRuns, 3)));
      if (n !== customers) throw new Error(`expected ${customers} customers, read ${n}`);
      console.log(
        `read   ${fmt(n)} customers' feature vectors, runs ${ms.map((m) => m.toFixed(0)).join(', ')} ms → median ${median(ms).toFixed(0)} ms wall, ${median(cpuMs).toFixed(0)} ms CPU (target < 3,000 ms)`,
      );
      await timeSmallReads(service, (await service.readFeatures()).slice(0, 100_000), Math.max(readRuns, 11), `${fmt(customers)} customers`);
    }
  } finally {
    await client.close();
    broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
