import 'reflect-metadata';
import { Logger, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { BusModule, EVENT_BUS, EventBus } from '@insiders/messaging';
import { createIngestBus } from './ingest.bus';
import { loadIngestConfig } from './ingest.config';
import { IngestModule } from './ingest.module';

const LEVELS: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * The standalone ingest process: `POST /v1/invoice-lines` on HOST:PORT, publishing to Kafka (KAFKA_BROKERS).
 * The bus is owned by BusModule.forFactory and closed on shutdown (SIGTERM/SIGINT via enableShutdownHooks).
 */
async function bootstrap(): Promise<void> {
  const config = loadIngestConfig();
  class IngestMainModule {}
  const app = await NestFactory.create<NestFastifyApplication>(
    { module: IngestMainModule, imports: [BusModule.forFactory(() => createIngestBus(config)), IngestModule.register(config)] },
    new FastifyAdapter({ bodyLimit: config.INGEST_MAX_BODY_BYTES }),
    { logger: LEVELS.slice(0, LEVELS.indexOf(config.LOG_LEVEL) + 1) },
  );
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  const bus = app.get<EventBus>(EVENT_BUS);
  Logger.log(`ingest listening on http://${config.HOST}:${config.PORT}, publishing to the ${bus.kind} bus`, 'IngestMain');
}

bootstrap().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
