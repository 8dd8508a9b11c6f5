import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BusModule, createEventBus } from '@insiders/messaging';
import { ObservabilityModule } from '@insiders/observability';
import { StorageModule } from '@insiders/storage';
import { loadFeaturesConfig } from './features.config';
import { FeaturesModule } from './features.module';

/**
 * Standalone features service: consumes the invoice-lines topic into ClickHouse and serves GET /metrics and
 * GET /health on FEATURES_HTTP_PORT. SIGTERM stops consuming after the in-flight batch and closes storage.
 */
async function main(): Promise<void> {
  const config = loadFeaturesConfig();
  const logger = new Logger('features');
  Logger.overrideLogger(
    (['error', 'warn', 'log', 'debug', 'verbose'] as const).slice(0, ['error', 'warn', 'log', 'debug', 'verbose'].indexOf(config.LOG_LEVEL) + 1),
  );

  @Module({
    imports: [
      ObservabilityModule.forRoot({ service: 'features' }),
      StorageModule.forRoot({
        url: config.CLICKHOUSE_URL,
        user: config.CLICKHOUSE_USER,
        password: config.CLICKHOUSE_PASSWORD,
        database: config.CLICKHOUSE_DATABASE,
        chdbPath: config.CHDB_PATH,
        migrate: false,
      }),
      BusModule.forFactory(() =>
        createEventBus(config, {
          kafka: {
            clientId: `${config.KAFKA_CLIENT_ID}-features`,
            // large batches: a fetch of up to 16 MiB per partition is one storage insert
            maxBytesPerPartition: config.FEATURES_KAFKA_MAX_BYTES_PER_PARTITION,
            partitionsConsumedConcurrently: config.FEATURES_KAFKA_PARTITIONS_CONCURRENTLY,
            sessionTimeoutMs: config.FEATURES_KAFKA_SESSION_TIMEOUT_MS,
            heartbeatIntervalMs: Math.max(500, Math.floor(config.FEATURES_KAFKA_SESSION_TIMEOUT_MS / 6)),
            logger: (level, message) => (level === 'error' ? logger.error(message) : level === 'warn' ? logger.warn(message) : logger.debug(message)),
          },
          memory: { maxBatch: 50_000 },
        }),
      ),
      FeaturesModule.forRoot(config),
    ],
  })
  class FeaturesAppModule {}

  const app = await NestFactory.create<NestFastifyApplication>(FeaturesAppModule, new FastifyAdapter(), { bufferLogs: false });
  app.enableShutdownHooks();
  await app.listen(config.FEATURES_HTTP_PORT, '127.0.0.1');
  logger.log(`features service up; metrics on http://127.0.0.1:${config.FEATURES_HTTP_PORT}/metrics`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
