import { InvoiceCsvFormat } from '@insiders/events';

export interface ReplayArgs {
  file: string;
  limit?: number;
  speed: 'max' | number;
  format: InvoiceCsvFormat | 'auto';
  progress: boolean;
}

export const REPLAY_USAGE = `usage: npm run replay -- <file.csv[.gz]> [--limit N] [--speed max|N] [--format seed|uci|auto] [--no-progress]

  --limit N        stop after N data lines
  --speed max|N    max (default): as fast as the bus acknowledges; N: N times real time by event time
  --format F       seed (Ecommerce.csv: cp1252, d-Mon-yy), uci (YYYY-MM-DD HH:MM:SS) or auto (default)
  --no-progress    no progress bar (it is also off when stderr is not a terminal)

Publishes to Kafka when KAFKA_BROKERS is set (topics from TOPIC_PREFIX), else to an in-process bus (a dry run).`;

export class UsageError extends Error {}

/** Parses the replay command line (`--name value` or `--name=value`). */
export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const args: ReplayArgs = { file: '', speed: 'max', format: 'auto', progress: true };
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      files.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (name === 'no-progress') {
      args.progress = false;
      continue;
    }
    if (name === 'help') throw new UsageError(REPLAY_USAGE);
    if (name !== 'limit' && name !== 'speed' && name !== 'format') throw new UsageError(`unknown option --${name}\n\n${REPLAY_USAGE}`);
    const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    switch (name) {
      case 'limit': {
        const n = Number(value);
        if (!Number.isSafeInteger(n) || n < 0) throw new UsageError(`--limit must be a non-negative integer, got "${value}"`);
        args.limit = n;
        break;
      }
      case 'speed': {
        if (value === 'max') args.speed = 'max';
        else {
          const n = Number(value.replace(/x$/i, ''));
          if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--speed must be "max" or a positive number, got "${value}"`);
          args.speed = n;
        }
        break;
      }
      case 'format':
        if (value !== 'seed' && value !== 'uci' && value !== 'auto') throw new UsageError(`--format must be seed, uci or auto, got "${value}"`);
        args.format = value;
        break;
    }
  }
  if (files.length !== 1) throw new UsageError(files.length === 0 ? REPLAY_USAGE : `expected one file, got ${files.join(', ')}`);
  args.file = files[0];
  return args;
}
