import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { createClient, type ClickHouseClient, type ClickHouseSettings } from '@clickhouse/client';
import { registerEmbedded } from './insert-bytes';

export interface ClickHouseOptions {
  /** A ClickHouse server (http://host:8123). Unset => embedded chDB. */
  url?: string;
  user?: string;
  password?: string;
  database: string;
  /** Data directory of the embedded engine; one process owns one directory at a time. `:memory:` for throw-away. */
  chdbPath: string;
  /** Extra ClickHouse settings sent with every request. */
  settings?: ClickHouseSettings;
}

/**
 * The only way the code base obtains a ClickHouse client. Both modes speak the same SQL through the same
 * `@clickhouse/client` API: a server over HTTP, or chDB in-process through `chdb/connection`.
 */
export function createClickHouse(options: ClickHouseOptions): ClickHouseClient {
  const clickhouse_settings: ClickHouseSettings = { ...(options.settings ?? {}) };
  if (options.url) {
    return createClient({
      url: options.url,
      username: options.user ?? 'default',
      password: options.password ?? '',
      database: options.database,
      clickhouse_settings,
      request_timeout: 600_000,
    });
  }
  // Loaded lazily so a server deployment never loads the native engine.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createChdbConnection } = require('chdb/connection') as typeof import('chdb/connection');
  const path = options.chdbPath === ':memory:' ? ':memory:' : resolve(options.chdbPath);
  if (path !== ':memory:') mkdirSync(path, { recursive: true });
  const connection = createChdbConnection({ path });
  const client = createClient({ connection, database: options.database, clickhouse_settings } as Parameters<typeof createClient>[0]);
  registerEmbedded(client);
  return client;
}

/**
 * Opens a client whose current database is `options.database` in both modes, creating the database if needed.
 * (chDB has no per-request database parameter; its session keeps the `USE`, so the same unqualified SQL works.)
 */
export async function openClickHouse(options: ClickHouseOptions): Promise<ClickHouseClient> {
  assertIdentifier(options.database);
  if (options.url) {
    const bootstrap = createClickHouse({ ...options, database: 'default' });
    await bootstrap.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
    await bootstrap.close();
    return createClickHouse(options);
  }
  const client = createClickHouse(options);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${options.database}` });
  await client.command({ query: `USE ${options.database}` });
  return client;
}

export function assertIdentifier(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid ClickHouse identifier "${name}"`);
}

/** Whether a client talks to embedded chDB (some server-only DDL, e.g. ON CLUSTER, is not used then). */
export function isEmbedded(options: Pick<ClickHouseOptions, 'url'>): boolean {
  return !options.url;
}
