import { Presets, SingleBar } from 'cli-progress';
import { createIngestBus } from '../ingest.bus';
import { loadIngestConfig } from '../ingest.config';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { replayFile, ReplayProgress } from './replay-file';
import { parseReplayArgs, UsageError } from './replay.args';

/**
 * `npm run replay -- <file> [--limit N] [--speed max|N] [--format seed|uci|auto]`: streams a CSV through the
 * ingest publisher into Kafka (KAFKA_BROKERS) or an in-process bus, then prints how many lines were accepted and
 * dead-lettered (they add up to the lines read). Exit code 0 on success, 1 on failure, 2 on bad arguments.
 */
async function main(): Promise<number> {
  let args;
  try {
    args = parseReplayArgs(process.argv.slice(2));
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`${e.message}\n`);
      return 2;
    }
    throw e;
  }
  const config = loadIngestConfig();
  const bus = createIngestBus(config);
  if (bus.kind === 'memory') process.stderr.write('KAFKA_BROKERS is not set: replaying into an in-process bus (dry run)\n');
  const publisher = new InvoiceLinePublisher(bus, config);
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);

  const showBar = args.progress && process.stderr.isTTY === true;
  const bar = showBar
    ? new SingleBar(
        {
          stream: process.stderr,
          format: ' {bar} {percentage}% | {rows} lines | {accepted} accepted | {deadLettered} dead-lettered | {rate}/s | eta {eta_formatted}',
          hideCursor: true,
          fps: 5,
        },
        Presets.shades_classic,
      )
    : undefined;
  const started = performance.now();
  let barStarted = false;
  const onProgress = (p: ReplayProgress) => {
    if (!bar) return;
    const total = args.limit ?? p.totalBytes;
    const value = args.limit !== undefined ? p.rows : p.bytesRead;
    const payload = { rows: p.rows, accepted: p.accepted, deadLettered: p.deadLettered, rate: Math.round(p.rows / ((performance.now() - started) / 1000 || 1)) };
    if (!barStarted) {
      bar.start(Math.max(total, 1), value, payload);
      barStarted = true;
    } else bar.update(value, payload);
  };

  try {
    await publisher.ensureTopics();
    const result = await replayFile(args.file, publisher, { format: args.format, limit: args.limit, speed: args.speed, onProgress, signal: controller.signal });
    if (bar) {
      bar.update(args.limit !== undefined ? result.rows : bar.getTotal());
      bar.stop();
    }
    process.stdout.write(
      `${result.file} (${result.format}): ${result.rows} lines = ${result.accepted} accepted + ${result.deadLettered} dead-lettered` +
        ` in ${(result.elapsedMs / 1000).toFixed(2)} s (${Math.round(result.rate)} lines/s) -> ${publisher.topics.invoiceLines} (dead letters: ${publisher.topics.invoiceLinesDeadLetter})` +
        `${controller.signal.aborted ? ' (interrupted)' : ''}\n`,
    );
    return controller.signal.aborted ? 130 : 0;
  } finally {
    bar?.stop();
    await bus.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`replay failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
