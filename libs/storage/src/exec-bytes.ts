import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';

/**
 * The whole result of a statement as raw bytes — for binary formats (`FORMAT RowBinary`) decoded by hand. `exec`
 * returns the response stream unparsed, on a ClickHouse server and on chDB alike.
 */
export async function execBytes(client: ClickHouseClient, query: string, settings?: ClickHouseSettings): Promise<Buffer> {
  const result = await client.exec({ query, clickhouse_settings: settings });
  const chunks: Buffer[] = [];
  for await (const chunk of result.stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
