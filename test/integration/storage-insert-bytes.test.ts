import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClickHouseClient } from '@clickhouse/client';
import { insertBytes, openClickHouse } from '@insiders/storage';
import { FeaturesRepository } from '../../apps/features/src/features.repository';
import { RAW_COLUMNS } from '../../apps/features/src/raw-rows.builder';

// insertBytes on embedded chDB: rows as TabSeparated pieces, round constants added by the statement, one part.
jest.setTimeout(120_000);

describe('insertBytes (chDB)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'insert-bytes-'));
  let client: ClickHouseClient;

  beforeAll(async () => {
    client = await openClickHouse({ database: 'insert_bytes', chdbPath: dir });
    await client.command({
      query: `CREATE TABLE t (id String, note Nullable(String), n Int64, at DateTime64(3, 'UTC'), seq UInt64) ENGINE = MergeTree ORDER BY id`,
    });
  });
  afterAll(async () => {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const rows = (query: string) => client.query({ query, format: 'JSONCompactEachRow' }).then((r) => r.json<unknown[]>());
  const scratchFiles = () =>
    readdirSync(tmpdir())
      .filter((d) => d.startsWith('insiders-insert-'))
      .flatMap((d) => readdirSync(join(tmpdir(), d)).filter((f) => f.startsWith(`${process.pid}-`)));

  it('inserts the pieces as one stream of rows, adds the constants, makes one part and leaves no scratch file', async () => {
    const many = Array.from({ length: 50_000 }, (_, i) => `k${String(i).padStart(6, '0')}\t\\N\t${i}\t2026-01-02 03:04:05.006\n`).join('');
    await insertBytes(client, {
      table: 't',
      columns: [
        ['id', 'String'],
        ['note', 'Nullable(String)'],
        ['n', 'Int64'],
        ['at', "DateTime64(3, 'UTC')"],
      ],
      constants: [['seq', 'toUInt64(42)']],
      format: 'TabSeparated',
      // a row split across two pieces, escapes, and a quote in a value
      pieces: [Buffer.from("a\tit's a tab:\\t\t-1\t2026-11-24 10:00"), Buffer.from(':00.500\nb\t\\N\t2\t2026-11-24 10:00:01.000\n'), Buffer.from(many)],
      settings: { max_insert_block_size: '100000000', min_insert_block_size_rows: '100000000', min_insert_block_size_bytes: '100000000000' },
    });
    expect(await rows(`SELECT id, note, n, toString(at), seq FROM t WHERE id IN ('a', 'b') ORDER BY id`)).toEqual([
      ['a', "it's a tab:\t", -1, '2026-11-24 10:00:00.500', 42],
      ['b', null, 2, '2026-11-24 10:00:01.000', 42],
    ]);
    expect(await rows(`SELECT count(), sum(n), uniqExact(seq) FROM t`)).toEqual([[50_002, (49_999 * 50_000) / 2 + 1, 1]]);
    expect(await rows(`SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 't' AND active`)).toEqual([[1]]);
    expect(scratchFiles()).toEqual([]);
  });

  it('names the problem when the rows do not fit their structure, and leaves no scratch file', async () => {
    await expect(
      insertBytes(client, { table: 't', columns: [['id', 'String'], ['n', 'Int64']], format: 'TabSeparated', pieces: [Buffer.from('x\tnot-a-number\n')] }),
    ).rejects.toThrow(/not-a-number|Cannot parse/);
    expect(scratchFiles()).toEqual([]);
  });

  it("carries the features consumer's raw columns with invoice_lines' own types", async () => {
    await new FeaturesRepository(client).migrate('insert_bytes');
    const types = new Map(await rows(`SELECT name, type FROM system.columns WHERE database = currentDatabase() AND table = 'invoice_lines'`).then((r) => r as [string, string][]));
    expect(RAW_COLUMNS.map(([name]) => [name, types.get(name)])).toEqual(RAW_COLUMNS.map(([name, type]) => [name, type]));
    expect([...types.keys()].filter((name) => !RAW_COLUMNS.some(([n]) => n === name))).toEqual(['ingested_at', 'batch_seq']);
  });
});
