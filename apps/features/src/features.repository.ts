import type { ClickHouseClient } from '@clickhouse/client';
import { chTime, execBytes, insertBytes, loadMigrations, runMigrations, withBytesSource } from '@insiders/storage';
import {
  anonymousKeysInOrderSql,
  anonymousNumberingVersionSql,
  customerStatesSelectSql,
  dayStatesSelectSql,
  readCurrentSql,
  visitCurrentAggregates,
  policyStateKey,
  readAggregatesSql,
  sqlString,
  sqlStringList,
  syntheticIdsSql,
  batchScopeSql,
  type CleaningPolicy,
  type CustomerAggregate,
} from '@insiders/features-core';
import { FeatureChangeNotifier } from './changes/feature-changes.notifier';
import { RAW_COLUMNS } from './raw-rows.builder';

export interface QuarantineRow {
  event_id: string;
  reason: string;
  payload: string;
  topic: string;
  partition: number;
  offset: string;
  quarantined_at: string;
}

export interface FirstSeenRow {
  customer_key: string;
  anonymous: 0 | 1;
  /** [invoice time, source line] of the key's earliest line in the batch. */
  first_seen: [string, number];
}

export interface ChangedCustomerKey {
  customerKey: string;
  changedAt: string;
}

/** Large IN lists travel in the query text (works the same over HTTP POST and in-process chDB). */
const BIG_QUERY = { max_query_size: '268435456', output_format_json_quote_64bit_integers: 0 } as const;
/** Keep an insert in one block (one part): atomic, and the same block boundaries on a retry (deduplication). */
const ONE_BLOCK = {
  max_insert_block_size: '100000000',
  min_insert_block_size_rows: '100000000',
  min_insert_block_size_bytes: '100000000000',
  input_format_parallel_parsing: 0,
} as const;

/**
 * Owns every statement of the features service: raw lines, quarantine, per-customer-day states, the activity
 * (first seen / last changed) table and feature reads.
 */
export class FeaturesRepository {
  /** Announces every committed `markChanged` in this process (see FeatureChangeNotifier). */
  readonly changes = new FeatureChangeNotifier();

  constructor(private readonly client: ClickHouseClient) {}

  /** Applies the features migrations (01xx raw, 02xx states); idempotent. */
  async migrate(database: string): Promise<string[]> {
    return runMigrations(this.client, database, loadMigrations().filter((m) => /^0[12]\d\d_/.test(m.name)));
  }

  /**
   * Event ids among `eventIds` (TabSeparated bytes, one escaped id per line, as `roundEventIds` writes them) already
   * stored: a primary-key lookup (invoice_lines is ordered by event_id). The ids reach the engine as bytes
   * (`withBytesSource`: a scratch file read by `file()` on chDB), not as SQL text.
   */
  async existingEventIds(eventIds: Buffer): Promise<Set<string>> {
    if (eventIds.length === 0) return new Set();
    const rows = await withBytesSource(this.client, { columns: [['id', 'String']], format: 'TabSeparated', pieces: [eventIds] }, async (source) => {
      const rs = await this.client.query({
        query: `SELECT event_id FROM invoice_lines WHERE event_id IN (SELECT id FROM ${source})`,
        format: 'JSONCompactEachRow',
        clickhouse_settings: BIG_QUERY,
      });
      return rs.json<[string]>();
    });
    return new Set(rows.map((r) => r[0]));
  }

  /**
   * Inserts a round's rows in one INSERT (one block, one part: stored all together or not at all). The rows are
   * TabSeparated bytes in RAW_COLUMNS order, written by RawRowsBuilder straight from the messages and handed to the
   * engine without becoming a JavaScript string (`insertBytes`); the round's batch_seq and ingestion time are added
   * by the statement. No duplicate collapsing on insert: the round holds no event id twice and none already stored.
   */
  async insertLines(pieces: readonly Buffer[], batchSeq: string, ingestedAtMs: number): Promise<void> {
    if (!/^[1-9]\d{0,19}$/.test(batchSeq)) throw new Error(`invalid batch_seq ${JSON.stringify(batchSeq)}`);
    await insertBytes(this.client, {
      table: 'invoice_lines',
      columns: RAW_COLUMNS,
      constants: [
        ['ingested_at', `toDateTime64(${sqlString(chTime(ingestedAtMs))}, 3, 'UTC')`],
        ['batch_seq', `toUInt64(${batchSeq})`],
      ],
      format: 'TabSeparated',
      pieces,
      settings: { ...ONE_BLOCK, optimize_on_insert: 0, max_threads: 1 },
    });
  }

  async insertQuarantine(rows: readonly QuarantineRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({ table: 'invoice_lines_quarantine', values: rows as QuarantineRow[], format: 'JSONEachRow' });
  }

  async recordFirstSeen(rows: readonly FirstSeenRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.client.insert({
      table: 'customer_activity',
      values: rows.map((r) => ({ ...r, last_changed_at: '1970-01-01 00:00:00.000000' })),
      format: 'JSONEachRow',
    });
  }

  async markChanged(customerKeys: readonly string[], atMs: number): Promise<void> {
    if (customerKeys.length === 0) return;
    const at = chTime(atMs);
    await this.client.insert({
      table: 'customer_activity',
      values: customerKeys.map((customer_key) => ({
        customer_key,
        anonymous: customer_key.startsWith('invoice:') ? 1 : 0,
        first_seen: ['2299-12-31 00:00:00.000', 0],
        last_changed_at: at,
      })),
      format: 'JSONEachRow',
    });
    this.changes.notify({ customerKeys, atMs });
  }

  /**
   * Folds the rows batch `batchSeq` inserted into the policy's states: one INSERT into customer_day_states, which
   * the view customer_states_from_days (migration 0220) folds on into customer_states in the same statement.
   * Deduplicated by token: applying the same batch twice (recovery after a crash) adds nothing to either table, and
   * a retry after the day states were written but not the running states writes only the latter. Single-threaded
   * so the result is exactly one block.
   */
  async applyBatch(policy: CleaningPolicy, batchSeq: string): Promise<void> {
    await this.client.command({
      query: `INSERT INTO customer_day_states ${dayStatesSelectSql(policy, batchScopeSql(batchSeq))}`,
      clickhouse_settings: {
        ...ONE_BLOCK,
        max_threads: 1,
        max_block_size: '10000000',
        insert_deduplicate: 1,
        insert_deduplication_token: `${policyStateKey(policy)}:${batchSeq}`,
        deduplicate_blocks_in_dependent_materialized_views: 1,
        wait_end_of_query: 1,
      },
    });
  }

  async markBatchApplied(batchSeq: string, rows: number): Promise<void> {
    await this.client.insert({
      table: 'feature_batches',
      values: [{ batch_seq: batchSeq, rows, applied_at: chTime(Date.now()) }],
      format: 'JSONEachRow',
    });
  }

  /** batch_seq values with rows in invoice_lines whose states were never marked applied (crash recovery). */
  async unappliedBatches(): Promise<string[]> {
    const rs = await this.client.query({
      query: `SELECT DISTINCT toString(batch_seq) FROM invoice_lines WHERE batch_seq NOT IN (SELECT batch_seq FROM feature_batches) ORDER BY batch_seq`,
      format: 'JSONCompactEachRow',
    });
    return (await rs.json<[string]>()).map((r) => r[0]);
  }

  /**
   * Rebuilds a policy's states from invoice_lines (emptying its partitions first), then records it built:
   * 'all' = day states and running customer states (new or changed rules); 'customers' = only the running customer
   * states (a store whose day states predate customer_states). The running states are always rebuilt straight from
   * invoice_lines, after the day states: the view folds a bulk insert block by block (a customer's days spread
   * over many blocks, dozens of parts — a million-customer read took 6.9 s instead of 2.7 s), so what it wrote
   * during the day rebuild is dropped and replaced by one GROUP BY over all lines.
   */
  async rebuildStates(policy: CleaningPolicy, which: 'all' | 'customers' = 'all'): Promise<void> {
    const key = policyStateKey(policy);
    const dropPartition = (table: string) =>
      this.client.command({ query: `ALTER TABLE ${table} DROP PARTITION ${sqlString(key)}`, clickhouse_settings: { wait_end_of_query: 1 } });
    const insert = (table: string, select: string) =>
      this.client.command({ query: `INSERT INTO ${table} ${select}`, clickhouse_settings: { insert_deduplicate: 0, wait_end_of_query: 1 } });
    if (which === 'all') {
      await dropPartition('customer_day_states');
      await insert('customer_day_states', dayStatesSelectSql(policy));
    }
    await dropPartition('customer_states');
    await insert('customer_states', customerStatesSelectSql(policy));
    // `<key>` marks the day states built (the clusterer and API read that), `customers:<key>` the running states.
    const marks = which === 'all' ? [key, `customers:${key}`] : [`customers:${key}`];
    await this.client.insert({
      table: 'feature_policy_builds',
      values: marks.map((policy) => ({ policy, built_at: chTime(Date.now()) })),
      format: 'JSONEachRow',
    });
  }

  /** Which of a policy's state tables are complete: day states, running customer states. */
  async policyBuilds(policy: CleaningPolicy): Promise<{ days: boolean; customers: boolean }> {
    const key = policyStateKey(policy);
    const rs = await this.client.query({
      query: `SELECT policy FROM feature_policy_builds WHERE policy IN ${sqlStringList([key, `customers:${key}`])}`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG_QUERY,
    });
    const built = new Set((await rs.json<[string]>()).map((r) => r[0]));
    return { days: built.has(key), customers: built.has(`customers:${key}`) };
  }

  async isPolicyBuilt(policy: CleaningPolicy): Promise<boolean> {
    const built = await this.policyBuilds(policy);
    return built.days && built.customers;
  }

  /**
   * Current aggregates of a maintained policy from customer_states (one running row per customer), decoded from
   * RowBinary into `visit` (one reused object: see visitCurrentAggregates).
   */
  async readCurrentAggregates(policy: CleaningPolicy, customerKeys: readonly string[] | undefined, visit: (a: CustomerAggregate) => void): Promise<void> {
    if (customerKeys && customerKeys.length === 0) return;
    visitCurrentAggregates(await execBytes(this.client, readCurrentSql(policy, { customerKeys }), BIG_QUERY), visit);
  }

  async readAggregates(
    policy: CleaningPolicy,
    options: { asOfDay?: string; customerIds?: readonly string[]; source: 'states' | 'raw' },
  ): Promise<CustomerAggregate[]> {
    const rs = await this.client.query({
      query: readAggregatesSql(policy, options),
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG_QUERY,
    });
    type Row = [string, number, number, number, number, number, number, number, number, number, number, number, number, number[], number[], string];
    const rows = await rs.json<Row>();
    return rows.map((r) => ({
      customerId: r[0],
      synthetic: r[1] === 1,
      revenueMicros: r[2],
      purchaseLines: r[3],
      purchaseItems: r[4],
      returnLines: r[5],
      returnItems: r[6],
      basketProducts: r[7],
      invoices: r[8],
      uniqueProducts: r[9],
      firstDay: r[10],
      lastDay: r[11],
      referenceDay: r[12],
      purchaseDays: r[13],
      purchaseDayMicros: r[14],
      country: r[15],
    }));
  }

  async anonymousNumberingVersion(): Promise<string> {
    const rs = await this.client.query({ query: anonymousNumberingVersionSql(), format: 'JSONCompactEachRow' });
    return (await rs.json<[string]>())[0]?.[0] ?? '';
  }

  async anonymousKeysInOrder(): Promise<string[]> {
    const rs = await this.client.query({ query: anonymousKeysInOrderSql(), format: 'JSONCompactEachRow' });
    return (await rs.json<[string]>()).map((r) => r[0]);
  }

  /** Customer keys whose states were rewritten after `sinceMs` (exclusive), oldest change first. */
  async changedSince(sinceMs: number, limit = 1_000_000): Promise<ChangedCustomerKey[]> {
    const rs = await this.client.query({
      query: `SELECT customer_key, toString(max(last_changed_at)) AS changed_at FROM customer_activity
              GROUP BY customer_key HAVING max(last_changed_at) > toDateTime64(${sqlString(chTime(sinceMs))}, 6, 'UTC')
              ORDER BY changed_at, customer_key LIMIT ${Math.trunc(limit)}`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG_QUERY,
    });
    return (await rs.json<[string, string]>()).map(([customerKey, changedAt]) => ({ customerKey, changedAt }));
  }

  /** Synthetic customer ids of anonymous customer keys (`invoice:<no>`) under the policy's numbering. */
  async syntheticIds(policy: CleaningPolicy, customerKeys: readonly string[]): Promise<string[]> {
    const rs = await this.client.query({
      query: `SELECT synthetic_id FROM (${syntheticIdsSql(policy)}) WHERE customer_key IN ${sqlStringList(customerKeys)} ORDER BY customer_key`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG_QUERY,
    });
    return (await rs.json<[string]>()).map((r) => r[0]);
  }

  async countLines(): Promise<number> {
    return this.scalar('SELECT count() FROM invoice_lines');
  }

  async countQuarantined(): Promise<number> {
    return this.scalar('SELECT count() FROM invoice_lines_quarantine FINAL');
  }

  async quarantined(limit = 100): Promise<{ event_id: string; reason: string }[]> {
    const rs = await this.client.query({
      query: `SELECT event_id, reason FROM invoice_lines_quarantine FINAL ORDER BY event_id LIMIT ${Math.trunc(limit)}`,
      format: 'JSONEachRow',
    });
    return rs.json();
  }

  /** Merges parts (tests and benchmarks; not needed for correctness). */
  async optimize(): Promise<void> {
    for (const table of ['invoice_lines', 'customer_day_states', 'customer_states', 'customer_activity']) {
      await this.client.command({ query: `OPTIMIZE TABLE ${table} FINAL`, clickhouse_settings: { wait_end_of_query: 1 } });
    }
  }

  private async scalar(query: string): Promise<number> {
    const rs = await this.client.query({ query, format: 'JSONCompactEachRow', clickhouse_settings: BIG_QUERY });
    const rows = await rs.json<[number]>();
    return Number(rows[0][0]);
  }
}
