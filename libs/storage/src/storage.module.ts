import { Global, Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { openClickHouse, type ClickHouseOptions } from './clickhouse.factory';
import { runMigrations } from './migrations.runner';

/** Injection token of the process-wide ClickHouse client (one chDB data directory per process). */
export const CLICKHOUSE = Symbol('CLICKHOUSE');

class ClickHouseLifecycle implements OnApplicationShutdown {
  constructor(@Inject(CLICKHOUSE) private readonly client: ClickHouseClient) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/**
 * Provides the ClickHouse client to every module of a process, migrated and ready. Apps import it once at the
 * root: `StorageModule.forRoot(options)` (opens and owns the client) or `StorageModule.forClient(client)`
 * (an already-open client, e.g. shared with tests; the caller closes it).
 */
@Global()
@Module({})
export class StorageModule {
  static forRoot(options: ClickHouseOptions & { migrate?: boolean }): DynamicModule {
    return {
      module: StorageModule,
      providers: [
        {
          provide: CLICKHOUSE,
          useFactory: async () => {
            const client = await openClickHouse(options);
            if (options.migrate !== false) await runMigrations(client, options.database);
            return client;
          },
        },
        ClickHouseLifecycle,
      ],
      exports: [CLICKHOUSE],
    };
  }

  static forClient(client: ClickHouseClient): DynamicModule {
    return { module: StorageModule, providers: [{ provide: CLICKHOUSE, useValue: client }], exports: [CLICKHOUSE] };
  }
}
