/**
 * Clusterer benchmark.
 *
 *   node -r @swc-node/register bench/clusterer.ts                  refit at 5,695 customers, then latency 1000/s for 30 s
 *   node -r @swc-node/register bench/clusterer.ts refit [sizes=5695,20000] [trees=300]
 *   node -r @swc-node/register bench/clusterer.ts latency [rate=1000] [seconds=30]
 *   (latency: KAFKA_BROKERS, else a broker of its own through scripts/kafka.sh on BENCH_KAFKA_PORT, default 19392)
 *
 * refit:   the refit pipeline in memory (feature preparation → fit in a worker thread → business segments, stable ids
 *          against the previous fit, Insiders → serialised artifact) at the seed's customers (the golden features) and
 *          at synthetic sizes (the seed customers resampled with jitter): wall time per stage and peak RSS (the
 *          worker thread included), plus the artifact size. Storage I/O is not included (see the integration test
 *          log for a refit against chDB).
 * latency: end to end through the real broker and chDB: a first model on a slice of the seed data set, then
 *          invoice lines of new customers published at a sustained `rate` per second; latency = time from publishing
 *          a customer's invoice line to receiving its segment-change event (features consumer → ClickHouse →
 *          changed-customers feed → assignment → event), p50 / p99 / max, and every customer traced per stage
 *          (medians, p99s), the bench process's CPU seconds and the load average. The clusterer runs its own loop,
 *          woken by the features writer as in one process. Target p99 < 1 s. See bench/clusterer/README.md.
 *          Env: INVOICE_LINES_PARTITIONS (default ingest's 6), BENCH_FEATURES_PARTITIONS_CONCURRENTLY (default the features app's FEATURES_KAFKA_PARTITIONS_CONCURRENTLY),
 *          BENCH_IN_PROCESS_WAKE=0 (the clusterer polls, as in a process of its own).
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { encodeInvoiceLine, invoiceLineKey, INVOICE_LINE_V1, parseSegmentChangeEvent, type InvoiceLineEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset, type CustomerFeatures } from '@insiders/features-core';
import { BusModule, createEventBus, topicsFor } from '@insiders/messaging';
import { Random } from '@insiders/ml';
import { MetricsRegistry } from '@insiders/observability';
import { DEFAULT_INSIDERS_RULE, DEFAULT_NAMING_RULE } from '@insiders/segments';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { loadFeaturesConfig } from '../apps/features/src/features.config';
import { FeaturesRepository } from '../apps/features/src/features.repository';
import { FeaturesService } from '../apps/features/src/features.service';
import { InvoiceLinesProcessor } from '../apps/features/src/invoice-lines.processor';
import { readSeedEvents, toBatches } from '../apps/features/src/testing/features.fixtures';
import { ClustererModule, ClustererService, loadClustererConfig } from '../apps/clusterer/src';
import { loadIngestConfig } from '../apps/ingest/src';
import { buildSegmentation } from '../apps/clusterer/src/domain/segmentation.builder';
import { prepareFeatures } from '../apps/clusterer/src/model/feature-matrix';
import { customerFeatures } from '../apps/clusterer/src/testing/customer-features.fixture';
import { fitSegmentation } from '../apps/clusterer/src/model/segmentation-model.adapter';

const GOLDEN = join(__dirname, '..', 'test', 'fixtures', 'reference-features-seed-ian.csv');

class PeakRss {
  peak = process.memoryUsage().rss;
  private timer = setInterval(() => (this.peak = Math.max(this.peak, process.memoryUsage().rss)), 50);
  stop(): number {
    clearInterval(this.timer);
    return Math.max(this.peak, process.memoryUsage().rss);
  }
}

const mb = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MB`;
const sec = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function goldenCustomers(): CustomerFeatures[] {
  const [, ...lines] = readFileSync(GOLDEN, 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    const [id, revenue, recency, products, frequency, returns] = line.split(',').map((x, i) => (i === 0 ? x : Number(x))) as [string, number, number, number, number, number];
    const invoices = Math.max(1, Math.round(frequency * 30));
    return customerFeatures({
      customerId: id,
      grossRevenue: revenue,
      recencyDays: recency,
      invoices,
      items: products * 10,
      products,
      uniqueProducts: products,
      averageTicket: revenue / invoices,
      frequency,
      returns,
      returnLines: returns > 0 ? 1 : 0,
      averageBasketSize: 0,
      averageUniqueBasketSize: 0,
      firstPurchaseDay: '2016-12-01',
      lastPurchaseDay: new Date(Date.parse('2017-12-07T00:00:00Z') - recency * 86_400_000).toISOString().slice(0, 10),
    });
  });
}

/** The seed customers resampled with ±10 % multiplicative jitter (seeded). */
function synthetic(base: CustomerFeatures[], n: number, seed: number): CustomerFeatures[] {
  if (n === base.length) return base;
  const rng = new Random(seed);
  const j = (x: number): number => x * (0.9 + 0.2 * rng.next());
  return Array.from({ length: n }, (_, i) => {
    const b = base[rng.int(base.length)]!;
    return { ...b, customerId: `s${i}`, grossRevenue: j(b.grossRevenue), recencyDays: Math.round(j(b.recencyDays)), products: Math.max(1, Math.round(j(b.products))), frequency: j(b.frequency), returns: Math.round(j(b.returns)) };
  });
}

async function benchRefit(sizes: number[], trees: number): Promise<void> {
  const base = goldenCustomers();
  console.log(`refit pipeline (in memory), RF ${trees} trees → UMAP → GMM k=8..24, seed features`);
  console.log('customers   prepare   fit (worker)   segments+ids   artifact   total     peak RSS   k   silhouette   Insiders');
  for (const n of sizes) {
    const customers = synthetic(base, n, 7);
    global.gc?.();
    const rss = new PeakRss();
    const t0 = performance.now();
    const prepared = prepareFeatures(customers, 'seed');
    const t1 = performance.now();
    const fit = await fitSegmentation(prepared.matrix, prepared.target, { seed: 42, kMin: 8, kMax: 24, trees, minSamplesLeaf: 1, embeddingDims: 8, neighbours: 15, maxFitRows: 100_000 });
    const t2 = performance.now();
    const first = buildSegmentation({ facts: prepared.facts, clusterLabels: fit.labels, k: fit.k, previous: null, naming: DEFAULT_NAMING_RULE, insidersRule: DEFAULT_INSIDERS_RULE });
    // stable ids against a previous fit (here: the same one), as a refit does
    const memberships = new Map(prepared.customerIds.map((id, i) => [id, { segmentId: first.segmentIds[i]! }]));
    buildSegmentation({
      facts: prepared.facts,
      clusterLabels: fit.labels,
      k: fit.k,
      previous: { version: 1, segments: first.segments.map((s) => ({ id: s.id, name: s.name, centroid: s.centroid })), memberships, nextFreshId: first.nextFreshId },
      naming: DEFAULT_NAMING_RULE,
      insidersRule: DEFAULT_INSIDERS_RULE,
    });
    const t3 = performance.now();
    const artifact = JSON.stringify({ model: fit.artifact, ids: prepared.customerIds });
    const t4 = performance.now();
    const peak = rss.stop();
    const ins = first.segments.find((s) => s.isInsiders);
    console.log(
      `${String(n).padStart(9)}   ${sec(t1 - t0).padStart(7)}   ${sec(t2 - t1).padStart(12)}   ${sec(t3 - t2).padStart(12)}   ${sec(t4 - t3).padStart(8)}   ${sec(t4 - t0).padStart(7)}   ${mb(peak).padStart(8)}   ${String(fit.k).padStart(2)}   ${fit.silhouette.toFixed(3).padStart(10)}   ` +
        (ins ? `${(ins.profile.share * 100).toFixed(1)}% of customers, ${(ins.profile.revenueShare * 100).toFixed(1)}% of revenue` : 'none') +
        `   (artifact ${mb(artifact.length)}; fit stages ${JSON.stringify(fit.timings)})`,
    );
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;
}

function median(xs: number[]): number {
  return percentile([...xs].sort((a, b) => a - b), 0.5);
}

/** One new customer's way through the system: wall-clock marks (Date.now()) of each stage it reached. */
interface Trace {
  published: number;
  fetched?: number;
  written?: number;
  pass?: Record<string, number>;
  received?: number;
}

/** The stages of the latency, in order: [name, from mark, to mark]. */
const STAGES: [string, (t: Trace) => number | undefined, (t: Trace) => number | undefined][] = [
  ['kafka → features consumer', (t) => t.published, (t) => t.fetched],
  ['features batch written', (t) => t.fetched, (t) => t.written],
  ['feed sees it (wait + query)', (t) => t.written, (t) => t.pass?.feed],
  ['features + memberships read', (t) => t.pass?.feed, (t) => t.pass?.features],
  ['assign', (t) => t.pass?.features, (t) => t.pass?.assign],
  ['events published', (t) => t.pass?.assign, (t) => t.pass?.publish],
  ['event delivered to a consumer', (t) => t.pass?.publish, (t) => t.received],
];

async function benchLatency(rate: number, seconds: number): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (!brokers.length) throw new Error('latency needs KAFKA_BROKERS');
  const dir = mkdtempSync(join(tmpdir(), 'clusterer-bench-'));
  const prefix = `bench-clu-${Date.now().toString(36)}`;
  const topics = topicsFor(prefix);
  const config = loadClustererConfig({
    CHDB_PATH: dir,
    KAFKA_BROKERS: brokers.join(','),
    TOPIC_PREFIX: prefix,
    CLUSTERER_TREES: '100',
    CLUSTERER_REFIT_INTERVAL_MS: '0',
    CLUSTERER_REFIT_AFTER_CHANGED: '0',
    CLUSTERER_DRIFT_THRESHOLD: '0',
    ...(process.env.CLUSTERER_POLL_MS ? { CLUSTERER_POLL_MS: process.env.CLUSTERER_POLL_MS } : {}),
    LOG_LEVEL: 'warn',
  });
  Logger.overrideLogger(['error', 'warn']);
  const client = await openClickHouse({ database: config.CLICKHOUSE_DATABASE, chdbPath: dir });
  await runMigrations(client, config.CLICKHOUSE_DATABASE);
  const policy = policyPreset(config.FEATURE_POLICY);
  const featuresRepository = new FeaturesRepository(client);
  await new FeaturesService(featuresRepository, policy, []).ensureStates(); // as the features app starts (marks the states built)
  const processor = new InvoiceLinesProcessor(featuresRepository, [policy], DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 'bench', defaultMetrics: false }));
  const base = await readSeedEvents(undefined, 60_000);
  for (const batch of toBatches(base, 20_000)) await processor.process(batch);
  const bus = createEventBus(config);
  // the invoice-lines topic as ingest creates it (INVOICE_LINES_PARTITIONS, default 6)
  const partitions = loadIngestConfig(process.env).INVOICE_LINES_PARTITIONS;
  await bus.ensureTopics([{ topic: topics.invoiceLines, partitions }, { topic: topics.segmentChanges, partitions: 3 }]);
  const app = await NestFactory.createApplicationContext(
    { module: class BenchRoot {}, imports: [StorageModule.forClient(client), BusModule.forBus(bus), ClustererModule.register({ ...config, CLUSTERER_SCHEDULER: false })] },
    { logger: ['error', 'warn'] },
  );
  const service = app.get(ClustererService);
  const first = await service.runRefit('initial');
  console.log(`model ${first.version}: ${first.customers} customers, k=${first.k} (refit ${sec(Object.values(first.timings ?? {}).reduce((s, x) => s + x, 0))})`);
  while ((await service.assignChangedNow()).customers > 0);

  const traces = new Map<string, Trace>();
  const batches: { lines: number; ms: number }[] = [];
  const passes: { customers: number; ms: number; timings: Record<string, number> }[] = [];
  const stepsBefore = { ...processor.stepMs };
  // the features consumer on a bus of its own, with the partition concurrency the features app would use
  const featuresConcurrency = Number(process.env.BENCH_FEATURES_PARTITIONS_CONCURRENTLY ?? loadFeaturesConfig().FEATURES_KAFKA_PARTITIONS_CONCURRENTLY);
  const featuresBus = createEventBus(config, { kafka: { partitionsConsumedConcurrently: featuresConcurrency } });
  const batchesInFlight = loadFeaturesConfig().FEATURES_KAFKA_BATCHES_IN_FLIGHT;
  const features = await featuresBus.subscribe({ topic: topics.invoiceLines, groupId: `${prefix}-features`, fromBeginning: true, batchesInFlight }, async (batch) => {
    const fetched = Date.now();
    await processor.process(batch);
    const written = Date.now();
    batches.push({ lines: batch.messages.length, ms: written - fetched });
    for (const m of batch.messages) {
      const trace = m.key === null ? undefined : traces.get(m.key);
      if (trace && trace.written === undefined) Object.assign(trace, { fetched, written });
    }
  });
  const listener = await bus.subscribe({ topic: topics.segmentChanges, groupId: `${prefix}-listener`, fromBeginning: false }, async (batch) => {
    const now = Date.now();
    for (const m of batch.messages) {
      const e = parseSegmentChangeEvent(JSON.parse(m.value.toString('utf8')));
      const trace = traces.get(e.customerId);
      if (trace && trace.received === undefined && e.reason === 'incremental') trace.received = now;
    }
  });
  // the service's own loop (refits off): woken by the features feed, else polling every CLUSTERER_POLL_MS
  service.onPass((r) => {
    const pass = { customers: r.customers, ms: (r.marks?.publish ?? 0) - (r.marks?.start ?? 0), timings: { ...r.timings } };
    passes.push(pass);
    void r.stored?.then((ms) => (pass.timings['store (background)'] = Math.round(ms)));
    for (const id of r.customerIds ?? []) {
      const trace = traces.get(id);
      if (trace && !trace.pass) trace.pass = r.marks;
    }
  });
  // as the composition root of one process wires it; BENCH_IN_PROCESS_WAKE=0: poll only, as a clusterer process of its own
  const inProcessWake = process.env.BENCH_IN_PROCESS_WAKE !== '0';
  if (inProcessWake) featuresRepository.changes.subscribe((change) => service.wake(change));
  service.startLoop();

  // load: one invoice line per new customer, `rate` per second in 10 ms ticks
  const total = rate * seconds;
  const cpu0 = process.cpuUsage();
  const started = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate));
    if (due > sent) {
      const now = Date.now();
      const lines: InvoiceLineEvent[] = [];
      for (; sent < due; sent++) {
        const customerId = `${900000 + sent}`;
        lines.push({
          schema: INVOICE_LINE_V1,
          eventId: `bench:${prefix}:${sent}`,
          invoiceNo: `B${700000 + sent}`,
          stockCode: '85123A',
          description: 'WHITE HANGING HEART T-LIGHT HOLDER',
          quantity: 1 + (sent % 24),
          invoiceTime: '2017-12-07T12:00:00.000Z',
          unitPrice: 2.55,
          customerId,
          country: 'United Kingdom',
          source: 'bench',
        });
        traces.set(customerId, { published: now });
      }
      await bus.publish(topics.invoiceLines, lines.map((e) => ({ key: invoiceLineKey(e), value: encodeInvoiceLine(e) })));
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const sendSeconds = (Date.now() - started) / 1000;
  const done = (): number => [...traces.values()].filter((t) => t.received !== undefined).length;
  const deadline = Date.now() + 60_000;
  while (done() < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const wallSeconds = (Date.now() - started) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const load = loadavg();

  const all = [...traces.values()];
  const latencies = all.filter((t) => t.received !== undefined).map((t) => t.received! - t.published).sort((a, b) => a - b);
  console.log(
    `incremental assignment at ${rate} events/s for ${seconds} s (sent in ${sendSeconds.toFixed(1)} s): ${latencies.length}/${total} segment-change events; ` +
      `latency p50 ${percentile(latencies, 0.5)} ms, p99 ${percentile(latencies, 0.99)} ms, max ${latencies[latencies.length - 1]} ms (target p99 < 1000 ms)`,
  );
  const part = (from: (t: Trace) => number | undefined, to: (t: Trace) => number | undefined): number[] =>
    all.map((t) => (from(t) !== undefined && to(t) !== undefined ? to(t)! - from(t)! : NaN)).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  const featuresPart = part((t) => t.published, (t) => t.written);
  const clustererPart = part((t) => t.written, (t) => t.received);
  console.log(
    `  published → features written: p50 ${percentile(featuresPart, 0.5)} ms, p99 ${percentile(featuresPart, 0.99)} ms; ` +
      `features written → event received (the clusterer's part): p50 ${percentile(clustererPart, 0.5)} ms, p99 ${percentile(clustererPart, 0.99)} ms`,
  );
  console.log(`  clusterer: ${inProcessWake ? 'woken by the features writer (one process)' : `polling every ${config.CLUSTERER_POLL_MS} ms (BENCH_IN_PROCESS_WAKE=0)`}`);
  console.log(`  features consumer: ${partitions} partitions (INVOICE_LINES_PARTITIONS), ${featuresConcurrency} at a time (BENCH_FEATURES_PARTITIONS_CONCURRENTLY)`);
  console.log(`  bench process CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s over ${wallSeconds.toFixed(1)} s wall (broker not included); load average ${load.map((x) => x.toFixed(2)).join(' ')}`);
  console.log('  per-stage latency of a customer (ms):      median     p99');
  for (const [name, from, to] of STAGES) {
    const xs = part(from, to);
    console.log(`    ${name.padEnd(36)} ${String(percentile(xs, 0.5)).padStart(8)} ${String(percentile(xs, 0.99)).padStart(7)}`);
  }
  const steps = Object.entries(processor.stepMs).map(([k, v]) => `${k} ${((v - stepsBefore[k as keyof typeof stepsBefore]) / batches.length).toFixed(0)}`);
  console.log(
    `  features consumer: ${batches.length} batches, median ${median(batches.map((b) => b.lines))} lines in ${median(batches.map((b) => b.ms))} ms ` + `(mean ms per step: ${steps.join(', ')})`,
  );
  const stepNames = [...new Set(passes.flatMap((p) => Object.keys(p.timings)))];
  console.log(
    `  clusterer: ${passes.length} assignment passes, median ${median(passes.map((p) => p.customers))} customers, ${median(passes.map((p) => p.ms))} ms to publish ` +
      `(median ms per step: ${stepNames.map((k) => `${k} ${median(passes.map((p) => p.timings[k] ?? 0))}`).join(', ')})`,
  );
  await features.stop();
  await listener.stop();
  await app.close();
  await featuresBus.close();
  await bus.close();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The broker for the latency run: KAFKA_BROKERS, else one of the bench's own (scripts/kafka.sh on BENCH_KAFKA_PORT,
 * default 19392, state in .data/kafka-bench-clusterer), stopped at the end.
 */
function withKafka<T>(run: () => Promise<T>): Promise<T> {
  if (process.env.KAFKA_BROKERS?.trim()) return run();
  const port = Number(process.env.BENCH_KAFKA_PORT ?? 19392);
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(port + 1), KAFKA_STATE_DIR: join(__dirname, '..', '.data', 'kafka-bench-clusterer') };
  const script = join(__dirname, '..', 'scripts', 'kafka.sh');
  const started = spawnSync('bash', [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (started.status !== 0) throw new Error('could not start a Kafka broker (scripts/kafka.sh start)');
  process.env.KAFKA_BROKERS = started.stdout.trim().split('\n').pop()!;
  return run().finally(() => {
    delete process.env.KAFKA_BROKERS;
    spawnSync('bash', [script, 'stop'], { env, stdio: 'inherit' });
  });
}

/** No arguments (npm run bench): the refit at the seed's size, then the latency target. */
async function main(): Promise<void> {
  const [scenario, a, b] = process.argv.slice(2);
  if (scenario === undefined) {
    await benchRefit([5695], 300);
    await withKafka(() => benchLatency(1000, 30));
  } else if (scenario === 'refit') await benchRefit((a ?? '5695,20000').split(',').map(Number), Number(b ?? 300));
  else if (scenario === 'latency') await withKafka(() => benchLatency(Number(a ?? 1000), Number(b ?? 30)));
  else throw new Error('usage: bench/clusterer.ts [refit [sizes] [trees] | latency [rate] [seconds]]');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
