import type { ClickHouseClient } from '@clickhouse/client';

/** Runs a parameterised SELECT (`{name:Type}` placeholders bound from `params`) and returns its rows. */
export async function selectRows<T>(
  client: ClickHouseClient,
  query: string,
  params: Record<string, unknown> = {},
): Promise<T[]> {
  const result = await client.query({ query, query_params: params, format: 'JSONEachRow' });
  return result.json<T>();
}

/** `YYYY-MM-DD hh:mm:ss.sss` (ClickHouse DateTime64 in UTC, as JSON formats print it) to ISO-8601. */
export function isoFromClickHouse(value: string | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  return value.includes('T') ? value : `${value.replace(' ', 'T')}Z`;
}

export function msFromClickHouse(value: string): number {
  return Date.parse(isoFromClickHouse(value)!);
}

/** SQL for a DateTime64(3, 'UTC') built from an Int64 epoch-milliseconds parameter. */
export const msParam = (name: string) => `fromUnixTimestamp64Milli({${name}:Int64}, 'UTC')`;

export function parseJsonColumn<T>(value: string | null | undefined, fallback: T): T {
  if (!value) return fallback;
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}
