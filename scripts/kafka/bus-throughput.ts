// KafkaBus publish throughput: ~300-byte JSON invoice-line-like values keyed by customer id, published in calls of
// `--call` messages, until every message is acknowledged (acks=all). Compares compression none vs gzip (and
// optionally several chunk sizes). Prints every run and the median per variant.
//
//   node -r @swc-node/register scripts/kafka/bus-throughput.ts [--events 200000] [--runs 3] [--call 10000]
//        [--chunks 10000:900000,20000:4000000] [--shards 1,2] [--compression none,gzip]
//
// Uses KAFKA_BROKERS, else starts a broker with scripts/kafka.sh (port 39192, state in the OS temp dir) and
// stops it afterwards.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KafkaBus, type KafkaCompression, type OutgoingMessage } from '@insiders/messaging';
import { createUniqueTopic, deleteTopics } from '@insiders/testing';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : def;
}

function makeEvents(n: number): OutgoingMessage[] {
  const countries = ['United Kingdom', 'France', 'Germany', 'EIRE', 'Spain', 'Netherlands'];
  const events: OutgoingMessage[] = [];
  for (let i = 0; i < n; i++) {
    const customer = String(12346 + (i % 4372));
    const value = JSON.stringify({
      v: 1,
      eventId: `0f8c2b1e-${(i % 10000).toString().padStart(4, '0')}-4a5b-9c3d-${i.toString(16).padStart(12, '0')}`,
      invoiceNo: String(536365 + Math.floor(i / 20)),
      stockCode: `85${(i * 7) % 1000}A`,
      description: 'WHITE HANGING HEART T-LIGHT HOLDER',
      quantity: (i % 12) + 1,
      invoiceDate: '2016-11-29T08:26:00.000Z',
      unitPrice: 2.55 + (i % 5),
      customerId: customer,
      country: countries[i % countries.length],
      isReturn: false,
    });
    events.push({ key: customer, value });
  }
  return events;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function main(): Promise<void> {
  const events = Number(arg('events', '200000'));
  const runs = Number(arg('runs', '3'));
  const call = Number(arg('call', '10000'));
  const shardVariants = arg('shards', '2').split(',').map(Number);
  const compressions = arg('compression', 'none,gzip').split(',') as KafkaCompression[];
  const chunkVariants = arg('chunks', '10000:900000').split(',').map((c) => c.split(':').map(Number) as [number, number]);
  let brokers = process.env.KAFKA_BROKERS?.split(',').filter(Boolean) ?? [];
  let stop: (() => void) | undefined;
  let brokerCpu = () => NaN;
  if (brokers.length === 0) {
    const stateDir = join(tmpdir(), 'insiders-bench-kafka');
    const env = { ...process.env, KAFKA_PORT: '39192', KAFKA_STATE_DIR: stateDir, KAFKA_EPHEMERAL: '1' };
    const out = execFileSync('bash', [join(__dirname, '..', 'kafka.sh'), 'acquire', String(process.pid)], { env, encoding: 'utf8' });
    brokers = [out.trim().split('\n').pop()!];
    const pid = readFileSync(join(stateDir, 'kafka.pid'), 'utf8').trim();
    // utime + stime of the broker JVM, in seconds (clock ticks of 1/100 s)
    brokerCpu = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(fields[11]) + Number(fields[12])) / 100;
    };
    stop = () => execFileSync('bash', [join(__dirname, '..', 'kafka.sh'), 'release', String(process.pid)], { env, stdio: 'inherit' });
  }
  const data = makeEvents(events);
  const avgBytes = data.reduce((n, m) => n + Buffer.byteLength(m.value as string), 0) / data.length;
  console.log(`events ${events}, avg value ${avgBytes.toFixed(0)} B, publish calls of ${call}, brokers ${brokers.join(',')}`);
  try {
    for (const [chunkMessages, chunkBytes] of chunkVariants) {
      for (const shards of shardVariants)
      for (const compression of compressions) {
        const rates: number[] = [];
        for (let run = 0; run < runs; run++) {
          const bus = new KafkaBus({ brokers, compression, publishChunkMessages: chunkMessages, publishChunkBytes: chunkBytes, producerShards: shards });
          const topic = await createUniqueTopic('bench-bus', 6, brokers);
          await bus.publish(topic, data.slice(0, 1000)); // connect + metadata outside the measurement
          const started = performance.now();
          const cpu0 = process.cpuUsage();
          const broker0 = brokerCpu();
          for (let i = 0; i < data.length; i += call) await bus.publish(topic, data.slice(i, i + call));
          const seconds = (performance.now() - started) / 1000;
          const cpu = process.cpuUsage(cpu0);
          const clientCpu = (cpu.user + cpu.system) / 1e6;
          const brokerCpuS = brokerCpu() - broker0;
          rates.push(events / seconds);
          await bus.close();
          await deleteTopics([topic], brokers);
          console.log(`  chunk ${chunkMessages} msgs/${chunkBytes} B, ${shards} producer(s), ${compression.padEnd(4)} run ${run + 1}: ${(events / seconds).toFixed(0)} events/s (${seconds.toFixed(2)} s wall, client CPU ${clientCpu.toFixed(2)} s, broker CPU ${brokerCpuS.toFixed(2)} s)`);
        }
        console.log(`chunk ${chunkMessages}/${chunkBytes}, ${shards} producer(s), ${compression}: median ${median(rates).toFixed(0)} events/s`);
      }
    }
  } finally {
    stop?.();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
