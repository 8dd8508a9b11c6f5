import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { Logger, type LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEventBus, MemoryBus, type EventBus } from '@insiders/messaging';
import { configureApiApp } from '../../api/src/api.bootstrap';
import { loadApiConfig } from '../../api/src/api.config';
import { BackfillHistoryUseCase, ClustererService, loadClustererConfig } from '../../clusterer/src';
import { FEATURES_SERVICE, loadFeaturesConfig, type FeaturesService } from '../../features/src';
import { InvoiceLinePublisher, loadIngestConfig, replayFile } from '../../ingest/src';
import { loadStandaloneConfig } from './standalone.config';
import { standaloneModule, type StandaloneConfigs } from './standalone.module';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * `npm start` — the embedded default: ingest, features, clusterer and API in one process, chDB in CHDB_PATH,
 * events on the in-process bus (or on Kafka when KAFKA_BROKERS is set). At start it replays INSIDERS_REPLAY_FILE
 * into an empty store and fits the first model, then serves the API, the Grafana datasource and /dashboard.
 */
export async function startStandalone(env: Record<string, string | undefined> = process.env): Promise<{
  app: NestFastifyApplication;
  bus: EventBus;
  ready: Promise<void>;
}> {
  const configs: StandaloneConfigs = {
    standalone: loadStandaloneConfig(env),
    ingest: loadIngestConfig(env),
    features: loadFeaturesConfig(env),
    clusterer: loadClustererConfig(env),
    api: loadApiConfig(env),
  };
  const { standalone } = configs;
  const logger = new Logger('insiders');
  const bus = createEventBus(standalone, { memory: { maxBatch: 50_000 } });
  const app = await NestFactory.create<NestFastifyApplication>(
    standaloneModule(configs, bus),
    new FastifyAdapter({ trustProxy: configs.api.TRUST_PROXY, bodyLimit: 64 * 1024 * 1024 }),
    { logger: LEVELS.slice(0, LEVELS.indexOf(standalone.LOG_LEVEL) + 1) },
  );
  configureApiApp(app, configs.api);
  app.enableShutdownHooks();
  await app.listen(configs.api.PORT, configs.api.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('127.0.0.1', 'localhost');
  logger.log(`API on ${url}/v1 · dashboard ${url}/dashboard · OpenAPI ${url}/docs · bus: ${bus.kind}`);

  const ready = initialLoad(app, bus, configs, logger);
  return { app, bus, ready };
}

/** Start-up replay into an empty store, then the first fit, so that a fresh `make run` shows segments. */
async function initialLoad(app: NestFastifyApplication, bus: EventBus, configs: StandaloneConfigs, logger: Logger): Promise<void> {
  const { standalone } = configs;
  const features = app.get<FeaturesService>(FEATURES_SERVICE);
  const before = await features.storedCounts();
  const replay = standalone.INSIDERS_REPLAY === 'always' || (standalone.INSIDERS_REPLAY === 'if-empty' && before.lines === 0);
  if (replay) {
    if (!existsSync(standalone.INSIDERS_REPLAY_FILE)) throw new Error(`INSIDERS_REPLAY_FILE: no file ${standalone.INSIDERS_REPLAY_FILE}`);
    logger.log(`replaying ${standalone.INSIDERS_REPLAY_FILE}${standalone.INSIDERS_REPLAY_LIMIT ? ` (first ${standalone.INSIDERS_REPLAY_LIMIT} lines)` : ''}`);
    const result = await replayFile(standalone.INSIDERS_REPLAY_FILE, app.get(InvoiceLinePublisher), {
      limit: standalone.INSIDERS_REPLAY_LIMIT || undefined,
    });
    logger.log(`replayed ${result.rows} lines: ${result.accepted} accepted + ${result.deadLettered} dead-lettered (${Math.round(result.rate)} lines/s)`);
    if (bus instanceof MemoryBus) await bus.drained();
    else if (before.lines === 0 && before.quarantined === 0) {
      // over Kafka the consumer runs behind the replay: fit once everything published is stored (or quarantined)
      for (;;) {
        const now = await features.storedCounts();
        if (now.lines + now.quarantined >= result.accepted) break;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }
  if (!standalone.INSIDERS_INITIAL_REFIT) {
    logger.log('ready');
    return;
  }
  // The clusterer's own scheduler may already be fitting on part of the data: let it finish, then fit on all.
  const clusterer = app.get(ClustererService);
  for (;;) {
    try {
      const refit = await clusterer.runRefit('initial', 'start-up: all replayed data');
      logger.log(`ready: model ${refit.version} is ${refit.status} on the start-up data`);
      if (refit.status !== 'active') return;
      break;
    } catch (error) {
      if (!(error instanceof Error && error.message.includes('already running'))) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  if (replay && standalone.INSIDERS_INITIAL_BACKFILL_DAYS > 0) await backfillReplayedPeriod(app, features, standalone.INSIDERS_INITIAL_BACKFILL_DAYS, logger);
}

/** Membership history over the replayed period (as-of features every `stepDays`), so sizes over time have a past. */
async function backfillReplayedPeriod(app: NestFastifyApplication, features: FeaturesService, stepDays: number, logger: Logger): Promise<void> {
  const days = (await features.readFeatures()).flatMap((f) => [f.firstPurchaseDay, f.lastPurchaseDay]).filter((d): d is string => !!d).sort();
  if (days.length === 0) return;
  const from = days[0]!;
  // the fit's own rows are dated at the latest day: the backfill ends the day before and connects to them
  const to = new Date(Date.parse(`${days[days.length - 1]}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
  if (to < from) return;
  const result = await app.get(BackfillHistoryUseCase).execute({ from, to, stepDays });
  logger.log(`history backfilled ${from} .. ${to} every ${stepDays} days: ${result.snapshots} snapshots, ${result.changes} changes`);
}

if (require.main === module) {
  startStandalone()
    .then(({ ready }) => ready)
    .catch((error: unknown) => {
      console.error(error instanceof Error ? error.stack ?? error.message : error);
      process.exit(1);
    });
}
