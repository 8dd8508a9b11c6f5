import 'reflect-metadata';
import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { BusModule, createEventBus, type EventBus } from '@insiders/messaging';
import { ObservabilityModule } from '@insiders/observability';
import { StorageModule } from '@insiders/storage';
import { configureApiApp } from './api.bootstrap';
import { loadApiConfig, type ApiConfig } from './api.config';
import { ApiModule } from './api.module';
import { ApiExceptionFilter } from './common/api-exception.filter';

/** The event bus of a standalone API: Kafka when KAFKA_BROKERS is set, else in-process (nothing arrives then). */
function createBus(config: ApiConfig): EventBus {
  if (config.KAFKA_BROKERS.length === 0) {
    new Logger('api').warn('KAFKA_BROKERS unset: in-process bus, no live segment changes reach a standalone API');
  }
  return createEventBus(config, { kafka: { clientId: `${config.KAFKA_CLIENT_ID}-api` } });
}

export function apiRootModule(config: ApiConfig): DynamicModule {
  @Module({})
  class ApiRootModule {}
  return {
    module: ApiRootModule,
    imports: [
      StorageModule.forRoot({
        url: config.CLICKHOUSE_URL,
        user: config.CLICKHOUSE_USER,
        password: config.CLICKHOUSE_PASSWORD,
        database: config.CLICKHOUSE_DATABASE,
        chdbPath: config.CHDB_PATH,
      }),
      BusModule.forFactory(() => createBus(config)),
      ObservabilityModule.forRoot({ service: 'api' }),
      ApiModule.forRoot({ config }),
    ],
  };
}

/** Standalone API: `npm run start:api` (PORT, API keys, limits... see api.config.ts). */
async function main(): Promise<void> {
  const config = loadApiConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    apiRootModule(config),
    new FastifyAdapter({ trustProxy: config.TRUST_PROXY, bodyLimit: 1_048_576 }),
    { logger: ['error', 'warn', 'log', 'debug', 'verbose'].slice(0, ['error', 'warn', 'log', 'debug', 'verbose'].indexOf(config.LOG_LEVEL) + 1) as ('error' | 'warn' | 'log')[] },
  );
  configureApiApp(app, config);
  // Standalone, the API owns every route: its error format also covers unknown routes and body parse errors.
  app.useGlobalFilters(app.get(ApiExceptionFilter));
  app.enableShutdownHooks();
  await app.listen(config.PORT, config.HOST);
  new Logger('api').log(`listening on ${await app.getUrl()} (docs at /docs)`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
