import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { assertIdentifier } from './clickhouse.factory';

export const MIGRATIONS_DIR = join(__dirname, '..', 'migrations');

export interface Migration {
  name: string;
  statements: string[];
}

/** Splits a migration file into statements: `;` at the end of a line ends one; `--` comment lines are dropped. */
export function parseMigration(name: string, sql: string): Migration {
  const statements = sql
    .split('\n')
    .filter((line) => !line.trim().startsWith('--'))
    .join('\n')
    .split(/;\s*(?:\n|$)/)
    .map((s) => s.trim())
    .filter(Boolean);
  return { name, statements };
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => parseMigration(f, readFileSync(join(dir, f), 'utf8')));
}

/**
 * Applies the SQL files in order, idempotently: the database is created if missing, every applied file is
 * recorded in `schema_migrations`, and files already recorded are skipped. Statements are written with
 * IF NOT EXISTS as well, so a crash between a statement and its record is harmless.
 */
export async function runMigrations(
  client: ClickHouseClient,
  database: string,
  migrations: Migration[] = loadMigrations(),
): Promise<string[]> {
  assertIdentifier(database);
  await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  await client.command({
    query: `CREATE TABLE IF NOT EXISTS ${database}.schema_migrations (name String, applied_at DateTime64(3) DEFAULT now64(3)) ENGINE = MergeTree ORDER BY name`,
  });
  const applied = new Set(
    (
      await (
        await client.query({ query: `SELECT name FROM ${database}.schema_migrations`, format: 'JSONEachRow' })
      ).json<{ name: string }>()
    ).map((r) => r.name),
  );
  const ran: string[] = [];
  for (const migration of migrations) {
    if (applied.has(migration.name)) continue;
    for (const statement of migration.statements) {
      await client.command({ query: statement, clickhouse_settings: { wait_end_of_query: 1 } });
    }
    await client.insert({
      table: `${database}.schema_migrations`,
      values: [{ name: migration.name }],
      format: 'JSONEachRow',
    });
    ran.push(migration.name);
  }
  return ran;
}
