import { Readable } from 'node:stream';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import type { ChdbConnection } from 'chdb/connection';

/** Clients made by createClickHouse on embedded chDB, and their connection (see `insertBytes`). */
const embedded = new WeakMap<ClickHouseClient, ChdbConnection>();

/** Called by the factory for every chDB-backed client. */
export function registerEmbedded(client: ClickHouseClient, connection: ChdbConnection): void {
  embedded.set(client, connection);
}

export interface BytesInsert {
  table: string;
  columns: readonly string[];
  format: 'TabSeparated';
  /** The rows, already in `format`. */
  bytes: Buffer;
  settings?: ClickHouseSettings;
}

/**
 * Inserts rows that are already encoded, without turning them into a JavaScript string: on chDB the buffer is
 * handed to the engine as is (`rawInsert`, no copy into the query text), on a server it is the request body.
 * For large inserts built as bytes (the features consumer writes ~100 MB of rows per file); small inserts keep
 * using `client.insert` with JS values.
 */
export async function insertBytes(client: ClickHouseClient, insert: BytesInsert): Promise<void> {
  if (insert.bytes.length === 0) return;
  const connection = embedded.get(client);
  if (connection) {
    const settings: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(insert.settings ?? {})) if (v !== undefined && k !== 'wait_end_of_query') settings[k] = v as string | number | boolean;
    await connection.chdb.rawInsert({ table: insert.table, columns: insert.columns, format: insert.format, values: insert.bytes, settings });
    return;
  }
  await client.insert({
    table: insert.table,
    columns: insert.columns as [string, ...string[]],
    format: insert.format,
    values: Readable.from([insert.bytes]),
    clickhouse_settings: insert.settings,
  });
}
