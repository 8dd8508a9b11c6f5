import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { InvoiceCsvReader } from '@insiders/events';
import { EventBus, kafkajsFastPathStatus, MemoryBus } from '@insiders/messaging';
import { createIngestBus } from '../apps/ingest/src/ingest.bus';
import { IngestConfig, loadIngestConfig } from '../apps/ingest/src/ingest.config';
import { InvoiceLinePublisher } from '../apps/ingest/src/publisher/invoice-line.publisher';
import { replayFile } from '../apps/ingest/src/replay/replay-file';
import { median } from '@insiders/stats';

/**
 * bench/ingest: events/s of the whole seed data set (541,909 lines)
 *   parse   CSV → validated events (no bus)
 *   memory  CSV → events acknowledged by the in-process bus (embedded default)
 *   kafka   CSV → events acknowledged by Kafka (acks=all), a fresh topic per run
 * Prints each run and the medians, wall-clock events/s and events per CPU-second of this process (the machine is
 * shared: the CPU figure is what the code costs, the wall figure what it got). Kafka: KAFKA_BROKERS, else a broker
 * is started with scripts/kafka.sh (and stopped). The ingest settings come from the environment as usual
 * (INGEST_KAFKA_COMPRESSION, INGEST_PUBLISH_CHUNK, INGEST_PUBLISH_IN_FLIGHT).
 *
 *   node -r @swc-node/register bench/ingest.ts [--runs 3] [--file data/Ecommerce.csv.gz] [--only parse,memory,kafka]
 *        [--no-worker]   read and encode the CSV in the main thread (replayFile's `worker: false`)
 */
const ROOT = join(__dirname, '..');

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : def;
}


interface Run {
  rows: number;
  ms: number;
  cpuMs: number;
}

export interface BenchFigure {
  stage: 'parse' | 'memory' | 'kafka';
  runs: (Run & { perSecond: number; perCpuSecond: number })[];
  medianPerSecond: number;
  medianPerCpuSecond: number;
  medianMs: number;
}

async function measured(work: () => Promise<{ rows: number; ms?: number }>): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const { rows, ms } = await work();
  const used = process.cpuUsage(cpu);
  return { rows, ms: ms ?? performance.now() - started, cpuMs: (used.user + used.system) / 1000 };
}

async function parseOnly(file: string): Promise<{ rows: number; ms: number }> {
  const started = performance.now();
  let rows = 0;
  for await (const batch of new InvoiceCsvReader(file).batches()) rows += batch.length;
  return { rows, ms: performance.now() - started };
}

async function throughBus(file: string, bus: EventBus, config: IngestConfig): Promise<{ rows: number; ms: number }> {
  const publisher = new InvoiceLinePublisher(bus, config);
  await publisher.ensureTopics();
  const result = await replayFile(file, publisher, { worker: !process.argv.includes('--no-worker') });
  if (result.accepted + result.deadLettered !== result.rows) throw new Error('counts do not add up');
  return { rows: result.rows, ms: result.elapsedMs };
}

function startBroker(): { brokers: string; stop: () => void } {
  const env = { ...process.env, KAFKA_PORT: process.env.BENCH_KAFKA_PORT ?? '19192', KAFKA_STATE_DIR: join(ROOT, '.data/kafka-bench') };
  const start = spawnSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  if (start.status !== 0) throw new Error('could not start a Kafka broker (scripts/kafka.sh start)');
  return {
    brokers: start.stdout.trim().split('\n').pop()!,
    stop: () => void spawnSync('bash', [join(ROOT, 'scripts/kafka.sh'), 'stop'], { env, stdio: 'inherit' }),
  };
}

export async function runIngestBench(options: { file: string; runs: number; stages: string[] }): Promise<BenchFigure[]> {
  const figures: BenchFigure[] = [];
  const fmt = (n: number) => Math.round(n).toLocaleString('en');
  const record = (stage: BenchFigure['stage'], runs: Run[]) => {
    const withRate = runs.map((r) => ({ ...r, perSecond: r.rows / (r.ms / 1000), perCpuSecond: r.rows / (r.cpuMs / 1000) }));
    const figure = {
      stage,
      runs: withRate,
      medianPerSecond: median(withRate.map((r) => r.perSecond)),
      medianPerCpuSecond: median(withRate.map((r) => r.perCpuSecond)),
      medianMs: median(runs.map((r) => r.ms)),
    };
    figures.push(figure);
    console.log(
      `${stage.padEnd(6)} median ${fmt(figure.medianPerSecond)} events/s (${(figure.medianMs / 1000).toFixed(2)} s for ${fmt(runs[0].rows)}),` +
        ` ${fmt(figure.medianPerCpuSecond)} events per CPU-second` +
        `  | runs: ${withRate.map((r) => `${fmt(r.perSecond)}/s ${(r.cpuMs / 1000).toFixed(1)} cpu-s`).join(', ')}`,
    );
  };

  if (options.stages.includes('parse')) {
    const runs = [];
    for (let i = 0; i < options.runs; i++) runs.push(await measured(() => parseOnly(options.file)));
    record('parse', runs);
  }
  if (options.stages.includes('memory')) {
    const runs = [];
    for (let i = 0; i < options.runs; i++) {
      const bus = new MemoryBus();
      runs.push(await measured(() => throughBus(options.file, bus, loadIngestConfig({ ...process.env, KAFKA_BROKERS: '', TOPIC_PREFIX: `bench-mem-${i}` }))));
      await bus.close();
    }
    record('memory', runs);
  }
  if (options.stages.includes('kafka')) {
    const broker = process.env.KAFKA_BROKERS ? undefined : startBroker();
    try {
      const runs = [];
      for (let i = 0; i < options.runs; i++) {
        const config = loadIngestConfig({ ...process.env, KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? broker!.brokers, TOPIC_PREFIX: `bench-${Date.now()}-${i}` });
        const bus = createIngestBus(config);
        if (bus.kind !== 'kafka') throw new Error('no KafkaBus available');
        try {
          runs.push(await measured(() => throughBus(options.file, bus, config)));
        } finally {
          await bus.close();
        }
      }
      record('kafka', runs);
    } finally {
      broker?.stop();
    }
  }
  return figures;
}

if (require.main === module) {
  const file = arg('file', existsSync(join(ROOT, 'data/Ecommerce.csv.gz')) ? join(ROOT, 'data/Ecommerce.csv.gz') : '../shared/data/Ecommerce.csv');
  const runs = Number(arg('runs', '3'));
  const stages = arg('only', 'parse,memory,kafka').split(',');
  console.log(
    `bench/ingest: ${file}, ${runs} runs per stage, node ${process.version}, load average ${loadavg()[0].toFixed(1)}` +
      `, kafkajs fast path ${JSON.stringify(kafkajsFastPathStatus())}, compression ${process.env.INGEST_KAFKA_COMPRESSION ?? 'default'}`,
  );
  runIngestBench({ file, runs, stages }).then(
    () => process.exit(0),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
