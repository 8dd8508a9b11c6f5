/**
 * Clusterer benchmark.
 *
 *   node -r @swc-node/register bench/clusterer.ts refit [sizes=5695,20000] [trees=300]
 *   node -r @swc-node/register bench/clusterer.ts latency [rate=1000] [seconds=30]     (needs KAFKA_BROKERS)
 *
 * refit:   the refit pipeline in memory (feature preparation → fit in a worker thread → business segments, stable ids
 *          against the previous fit, Insiders → serialised artifact) at the seed's customers (the golden features) and
 *          at synthetic sizes (the seed customers resampled with jitter): wall time per stage and peak RSS (the
 *          worker thread included), plus the artifact size. Storage I/O is not included (see the integration test
 *          log for a refit against chDB).
 * latency: end to end through the real broker and chDB: a first model on a slice of the seed data set, then
 *          invoice lines of new customers published at a sustained `rate` per second; latency = time from publishing
 *          a customer's invoice line to receiving its segment-change event (features consumer → ClickHouse →
 *          changed-customers feed → assignment → event), p50 / p99 / max. Target p99 < 1 s.
 */
import 'reflect-metadata';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { encodeInvoiceLine, invoiceLineKey, INVOICE_LINE_V1, parseSegmentChangeEvent, type InvoiceLineEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset, type CustomerFeatures } from '@insiders/features-core';
import { BusModule, createEventBus, topicsFor } from '@insiders/messaging';
import { Random } from '@insiders/ml';
import { MetricsRegistry } from '@insiders/observability';
import { DEFAULT_INSIDERS_RULE, DEFAULT_NAMING_RULE } from '@insiders/segments';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { FeaturesRepository } from '../apps/features/src/features.repository';
import { InvoiceLinesProcessor } from '../apps/features/src/invoice-lines.processor';
import { readSeedEvents, toBatches } from '../apps/features/src/testing/features.fixtures';
import { ClustererModule, ClustererService, loadClustererConfig } from '../apps/clusterer/src';
import { buildSegmentation } from '../apps/clusterer/src/domain/segmentation.builder';
import { prepareFeatures } from '../apps/clusterer/src/model/feature-matrix';
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
    return {
      customerId: id,
      synthetic: false,
      grossRevenue: revenue,
      recencyDays: recency,
      invoices,
      items: products * 10,
      products,
      uniqueProducts: products,
      averageTicket: revenue / invoices,
      averageDaysBetweenPurchases: null,
      frequency,
      returns,
      returnLines: returns > 0 ? 1 : 0,
      returnRate: 0,
      averageBasketSize: 0,
      averageUniqueBasketSize: 0,
      revenueShareByWeekday: new Array<number>(7).fill(0),
      revenueShareByDayOfMonth: new Array<number>(31).fill(0),
      country: 'United Kingdom',
      firstPurchaseDay: '2016-12-01',
      lastPurchaseDay: new Date(Date.parse('2017-12-07T00:00:00Z') - recency * 86_400_000).toISOString().slice(0, 10),
    };
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

async function benchLatency(rate: number, seconds: number): Promise<void> {
  const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
  if (!brokers.length) throw new Error('latency needs KAFKA_BROKERS (e.g. bash scripts/kafka.sh start)');
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
    CLUSTERER_POLL_MS: process.env.CLUSTERER_POLL_MS ?? '100',
    LOG_LEVEL: 'warn',
  });
  const client = await openClickHouse({ database: config.CLICKHOUSE_DATABASE, chdbPath: dir });
  await runMigrations(client, config.CLICKHOUSE_DATABASE);
  const policy = policyPreset(config.FEATURE_POLICY);
  const processor = new InvoiceLinesProcessor(new FeaturesRepository(client), [policy], DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 'bench', defaultMetrics: false }));
  const base = await readSeedEvents(undefined, 60_000);
  for (const batch of toBatches(base, 20_000)) await processor.process(batch);
  const bus = createEventBus(config);
  await bus.ensureTopics([{ topic: topics.invoiceLines, partitions: 3 }, { topic: topics.segmentChanges, partitions: 3 }]);
  const app = await NestFactory.createApplicationContext(
    { module: class BenchRoot {}, imports: [StorageModule.forClient(client), BusModule.forBus(bus), ClustererModule.register({ ...config, CLUSTERER_SCHEDULER: false })] },
    { logger: ['error', 'warn'] },
  );
  const service = app.get(ClustererService);
  const first = await service.runRefit('initial');
  console.log(`model ${first.version}: ${first.customers} customers, k=${first.k} (refit ${sec(Object.values(first.timings ?? {}).reduce((s, x) => s + x, 0))})`);
  while ((await service.assignChangedNow()).customers > 0);

  const publishedAt = new Map<string, number>();
  const latencies: number[] = [];
  const stats = { batches: 0, batchMs: 0, batchMsgs: 0, passes: 0, passMs: 0, passCustomers: 0, steps: {} as Record<string, number> };
  const features = await bus.subscribe({ topic: topics.invoiceLines, groupId: `${prefix}-features`, fromBeginning: true }, async (batch) => {
    const t = performance.now();
    await processor.process(batch);
    stats.batches++;
    stats.batchMs += performance.now() - t;
    stats.batchMsgs += batch.messages.length;
  });
  const listener = await bus.subscribe({ topic: topics.segmentChanges, groupId: `${prefix}-listener`, fromBeginning: false }, async (batch) => {
    const now = Date.now();
    for (const m of batch.messages) {
      const e = parseSegmentChangeEvent(JSON.parse(m.value.toString('utf8')));
      const t = publishedAt.get(e.customerId);
      if (t !== undefined && e.reason === 'incremental') {
        latencies.push(now - t);
        publishedAt.delete(e.customerId);
      }
    }
  });
  // the incremental loop, as in the service (scheduler on, refits off): poll every CLUSTERER_POLL_MS when idle
  let running = true;
  const loop = (async () => {
    while (running) {
      const t = performance.now();
      const r = await service.assignChangedNow();
      if (r.customers > 0) {
        stats.passes++;
        stats.passMs += performance.now() - t;
        stats.passCustomers += r.customers;
        for (const [k, v] of Object.entries(r.timings ?? {})) stats.steps[k] = (stats.steps[k] ?? 0) + v / 1;
        continue; // busy: poll again at once (as the service loop does)
      }
      await new Promise((r) => setTimeout(r, config.CLUSTERER_POLL_MS));
    }
  })();

  // load: one invoice line per new customer, `rate` per second in 10 ms ticks
  const total = rate * seconds;
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
        publishedAt.set(customerId, now);
      }
      await bus.publish(topics.invoiceLines, lines.map((e) => ({ key: invoiceLineKey(e), value: encodeInvoiceLine(e) })));
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const sendSeconds = (Date.now() - started) / 1000;
  const deadline = Date.now() + 60_000;
  while (latencies.length < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  running = false;
  await loop;
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `incremental assignment at ${rate} events/s for ${seconds} s (sent in ${sendSeconds.toFixed(1)} s): ${latencies.length}/${total} segment-change events; ` +
      `latency p50 ${percentile(sorted, 0.5)} ms, p99 ${percentile(sorted, 0.99)} ms, max ${sorted[sorted.length - 1]} ms (target p99 < 1000 ms)`,
  );
  console.log(
    `  features consumer: ${stats.batches} batches, mean ${(stats.batchMsgs / stats.batches).toFixed(0)} lines in ${(stats.batchMs / stats.batches).toFixed(0)} ms; ` +
      `clusterer: ${stats.passes} assignment passes, mean ${(stats.passCustomers / stats.passes).toFixed(0)} customers in ${(stats.passMs / stats.passes).toFixed(0)} ms ` +
      `(mean per step: ${Object.entries(stats.steps).map(([k, v]) => `${k} ${(v / stats.passes).toFixed(0)} ms`).join(', ')})`,
  );
  await features.stop();
  await listener.stop();
  await app.close();
  await bus.close();
  await client.close();
  rmSync(dir, { recursive: true, force: true });
}

async function main(): Promise<void> {
  const [scenario = 'refit', a, b] = process.argv.slice(2);
  if (scenario === 'refit') await benchRefit((a ?? '5695,20000').split(',').map(Number), Number(b ?? 300));
  else if (scenario === 'latency') await benchLatency(Number(a ?? 1000), Number(b ?? 30));
  else throw new Error('usage: bench/clusterer.ts refit [sizes] [trees] | latency [rate] [seconds]');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
