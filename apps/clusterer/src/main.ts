import 'reflect-metadata';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BusModule } from '@insiders/messaging';
import { StorageModule } from '@insiders/storage';
import { createClustererBus } from './clusterer.bus';
import { loadClustererConfig } from './clusterer.config';
import { ClustererModule } from './clusterer.module';
import { ClustererService } from './clusterer.service';
import { BackfillHistoryUseCase } from './use-cases/backfill.use-case';
import { ExplainCustomerUseCase } from './use-cases/explain-customer.use-case';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];
const USAGE = `usage: clusterer [serve]                                  scheduler + incremental assignment (default)
       clusterer refit [note]                            one refit now, then exit
       clusterer backfill --from YYYY-MM-DD --to YYYY-MM-DD [--step DAYS]
       clusterer explain <customerId>`;

function flag(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The standalone clusterer process (Kafka from KAFKA_BROKERS, ClickHouse from CLICKHOUSE_URL or chDB in CHDB_PATH). */
async function bootstrap(): Promise<void> {
  const [command = 'serve', ...args] = process.argv.slice(2);
  if (!['serve', 'refit', 'backfill', 'explain'].includes(command)) throw new Error(USAGE);
  const base = loadClustererConfig();
  const config = command === 'serve' ? base : { ...base, CLUSTERER_SCHEDULER: false };
  class ClustererMainModule {}
  const app = await NestFactory.createApplicationContext(
    {
      module: ClustererMainModule,
      imports: [
        StorageModule.forRoot({
          url: config.CLICKHOUSE_URL,
          user: config.CLICKHOUSE_USER,
          password: config.CLICKHOUSE_PASSWORD,
          database: config.CLICKHOUSE_DATABASE,
          chdbPath: config.CHDB_PATH,
        }),
        BusModule.forFactory(() => createClustererBus(config)),
        ClustererModule.register(config),
      ],
    },
    { logger: LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1) },
  );
  app.enableShutdownHooks();
  const log = new Logger('ClustererMain');
  if (command === 'serve') {
    log.log(`clusterer running (refit every ${config.CLUSTERER_REFIT_INTERVAL_MS} ms, polling changes every ${config.CLUSTERER_POLL_MS} ms)`);
    return;
  }
  try {
    if (command === 'refit') {
      const result = await app.get(ClustererService).runRefit('manual', args.join(' ') || undefined);
      console.log(JSON.stringify(result, null, 2));
      if (result.status !== 'active') process.exitCode = 2;
    } else if (command === 'backfill') {
      const from = flag(args, 'from');
      const to = flag(args, 'to');
      if (!from || !to) throw new Error(USAGE);
      const step = flag(args, 'step');
      console.log(JSON.stringify(await app.get(BackfillHistoryUseCase).execute({ from, to, stepDays: step ? Number(step) : undefined })));
    } else {
      if (!args[0]) throw new Error(USAGE);
      console.log(JSON.stringify(await app.get(ExplainCustomerUseCase).execute(args[0]), null, 2));
    }
  } finally {
    await app.close();
  }
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
