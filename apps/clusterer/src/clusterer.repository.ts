import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE, chTime, execBytes, type HistoryRow, type MembershipReason, type ModelRow, type SegmentRow } from '@insiders/storage';
import {
  deriveFeatures,
  policyStateKey,
  readAggregatesSql,
  readCurrentSql,
  sqlString,
  sqlStringList,
  syntheticIdsSql,
  visitCurrentAggregates,
  type CleaningPolicy,
  type CustomerAggregate,
  type CustomerFeatures,
} from '@insiders/features-core';

/** ClickHouse DateTime64 text (UTC, no zone) back to an ISO string. */
export function isoTime(ch: string): string {
  return new Date(`${ch.replace(' ', 'T')}Z`).toISOString();
}

export type { HistoryRow, MembershipReason, ModelRow, ModelStatus, ModelTrigger, SegmentRow } from '@insiders/storage';

/** One entry of the changed-customers feed. */
export interface ChangedCustomer {
  /** customer_activity key: the customer id, or `invoice:<no>` for lines without one. */
  key: string;
  /** When its features last changed (DateTime64(6) text, UTC). */
  changedAt: string;
  /** The customer id the features are read under (a synthetic id for anonymous keys), null if the policy drops it. */
  customerId: string | null;
}

export interface StagedMembership {
  model_version: number;
  customer_id: string;
  segment_id: number;
  is_insider: number;
  confidence: number;
  map_x: number;
  map_y: number;
}

export interface MembershipRow extends Omit<StagedMembership, 'model_version'> {
  model_version: number;
  reason: MembershipReason;
  updated_at: string;
}

export interface RfmRow {
  customer_id: string;
  model_version: number;
  r: number;
  f: number;
  m: number;
  score: number;
  segment: string;
  updated_at: string;
}

const BIG = { max_execution_time: 600, wait_end_of_query: 1 } as const;
const INSERT_CHUNK = 50_000;

/**
 * Every SQL statement of the clusterer: the model registry and artifacts, segments, memberships (staged, current,
 * history), RFM scores, its own state, and the feature reads (built by @insiders/features-core).
 */
@Injectable()
export class ClustererRepository {
  constructor(@Inject(CLICKHOUSE) private readonly client: ClickHouseClient) {}

  // ---- features (SQL from @insiders/features-core) ------------------------------------------------------------

  /**
   * Customers' features as of now (or the end of `asOfDay`), optionally only some customers. All customers as of
   * now (refit, drift) come from the running per-customer states when the features service keeps them (one row per
   * customer, binary rows); everything else merges the per-day states.
   */
  async readFeatures(policy: CleaningPolicy, options: { asOfDay?: string; customerIds?: readonly string[] } = {}): Promise<CustomerFeatures[]> {
    if (options.customerIds && options.customerIds.length === 0) return [];
    if (options.asOfDay === undefined && options.customerIds === undefined && (await this.isBuilt(`customers:${policyStateKey(policy)}`))) {
      return this.readAllCurrentFeatures(policy);
    }
    const source = (await this.isPolicyBuilt(policy)) ? 'states' : 'raw';
    const rs = await this.client.query({
      query: readAggregatesSql(policy, { ...options, source }),
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG,
    });
    // Column order of readAggregatesSql (features-core); numbers may arrive as strings (64-bit integers).
    type Row = [string, number, number | string, number, number, number, number, number, number, number, number, number, number, (number | string)[], (number | string)[], string];
    const rows = await rs.json<Row>();
    return rows.map((r) => {
      const a: CustomerAggregate = {
        customerId: r[0],
        synthetic: Number(r[1]) === 1,
        revenueMicros: Number(r[2]),
        purchaseLines: Number(r[3]),
        purchaseItems: Number(r[4]),
        returnLines: Number(r[5]),
        returnItems: Number(r[6]),
        basketProducts: Number(r[7]),
        invoices: Number(r[8]),
        uniqueProducts: Number(r[9]),
        firstDay: Number(r[10]),
        lastDay: Number(r[11]),
        referenceDay: Number(r[12]),
        purchaseDays: r[13].map(Number),
        purchaseDayMicros: r[14].map(Number),
        country: r[15],
      };
      return deriveFeatures(a);
    });
  }

  /**
   * Current features of some customers by feed key, from the features service's running per-customer states (one
   * row per customer: a primary-key lookup, no reference-day or synthetic-id window over all customers), named by
   * the ids given (the synthetic id for an anonymous key). Null when those states are not built for the policy
   * (an older features service): then `readFeatures`.
   */
  async readCurrentFeatures(policy: CleaningPolicy, idsByKey: ReadonlyMap<string, string>): Promise<CustomerFeatures[] | null> {
    if (idsByKey.size === 0) return [];
    if (!(await this.isBuilt(`customers:${policyStateKey(policy)}`))) return null;
    const features: CustomerFeatures[] = [];
    visitCurrentAggregates(await execBytes(this.client, readCurrentSql(policy, { customerKeys: [...idsByKey.keys()] }), BIG), (a) => {
      const id = idsByKey.get(a.customerId);
      if (id !== undefined) features.push(deriveFeatures({ ...a, customerId: id }));
    });
    return features;
  }

  /** Every customer's current features from the running states; anonymous keys named by their synthetic ids. */
  private async readAllCurrentFeatures(policy: CleaningPolicy): Promise<CustomerFeatures[]> {
    const synthetic = new Map<string, string>();
    if (policy.missingCustomers === 'synthesize') {
      const rs = await this.client.query({ query: `SELECT customer_key, synthetic_id FROM (${syntheticIdsSql(policy)})`, format: 'JSONCompactEachRow', clickhouse_settings: BIG });
      for (const [key, id] of await rs.json<[string, string]>()) synthetic.set(key, id);
    }
    const features: CustomerFeatures[] = [];
    visitCurrentAggregates(await execBytes(this.client, readCurrentSql(policy), BIG), (a) => {
      // as the day-state read's LEFT JOIN: '' for an anonymous key without a synthetic id
      features.push(deriveFeatures({ ...a, customerId: a.synthetic ? (synthetic.get(a.customerId) ?? '') : a.customerId }));
    });
    return features;
  }

  /** Whether the features service keeps states for the policy (then reads merge states; else they scan raw lines). */
  async isPolicyBuilt(policy: CleaningPolicy): Promise<boolean> {
    return this.isBuilt(policyStateKey(policy));
  }

  private readonly built = new Set<string>();

  /** Whether feature_policy_builds holds `mark` (remembered once true: a built policy stays built). */
  private async isBuilt(mark: string): Promise<boolean> {
    if (this.built.has(mark)) return true;
    try {
      const rs = await this.client.query({ query: `SELECT count() AS n FROM feature_policy_builds WHERE policy = ${sqlString(mark)}`, format: 'JSONEachRow' });
      const built = Number((await rs.json<{ n: number | string }>())[0]?.n ?? 0) > 0;
      if (built) this.built.add(mark);
      return built;
    } catch {
      return false;
    }
  }

  /**
   * The changed-customers feed: customer keys whose features changed after `since` (exclusive; DateTime64(6)
   * text), oldest first, each with its change time and its customer id (anonymous keys `invoice:<no>` mapped to the
   * policy's synthetic ids; keys the policy drops have none). The WHERE on last_changed_at before grouping is the
   * same as comparing each key's max (a key changed after `since` has a row after it) but folds only the recent
   * rows, not every customer: the cost follows the changes, not the customer count.
   */
  async changedSince(policy: CleaningPolicy, since: string, limit: number): Promise<ChangedCustomer[]> {
    const rs = await this.client.query({
      query: `SELECT customer_key, toString(max(last_changed_at)) AS changed_at FROM customer_activity
              WHERE last_changed_at > toDateTime64(${sqlString(since)}, 6, 'UTC')
              GROUP BY customer_key ORDER BY changed_at, customer_key LIMIT ${Math.trunc(limit)}`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG,
    });
    const rows = await rs.json<[string, string]>();
    const anonymous = rows.filter(([k]) => k.startsWith('invoice:')).map(([k]) => k);
    const synthetic = new Map<string, string>();
    if (anonymous.length && policy.missingCustomers === 'synthesize') {
      const srs = await this.client.query({
        query: `SELECT customer_key, synthetic_id FROM (${syntheticIdsSql(policy)}) WHERE customer_key IN ${sqlStringList(anonymous)}`,
        format: 'JSONCompactEachRow',
        clickhouse_settings: BIG,
      });
      for (const [key, id] of await srs.json<[string, string]>()) synthetic.set(key, id);
    }
    return rows.map(([key, changedAt]) => ({ key, changedAt, customerId: key.startsWith('invoice:') ? (synthetic.get(key) ?? null) : key }));
  }

  /** Latest change time in the feed (DateTime64(6) text), or null when nothing was ever recorded. */
  async feedHead(): Promise<string | null> {
    try {
      const rs = await this.client.query({ query: `SELECT toString(max(last_changed_at)) AS t, count() AS n FROM customer_activity`, format: 'JSONEachRow' });
      const r = (await rs.json<{ t: string; n: number | string }>())[0];
      return r && Number(r.n) > 0 ? r.t : null;
    } catch {
      return null;
    }
  }

  // ---- model registry -----------------------------------------------------------------------------------------

  async nextModelVersion(): Promise<number> {
    const rs = await this.client.query({ query: 'SELECT max(version) AS v, count() AS n FROM models', format: 'JSONEachRow' });
    const r = (await rs.json<{ v: number | string; n: number | string }>())[0]!;
    return Number(r.n) === 0 ? 1 : Number(r.v) + 1;
  }

  /** Writes a registry row (a status change is a new row with a later updated_at; the latest wins). */
  async writeModel(row: ModelRow): Promise<void> {
    await this.client.insert({ table: 'models', values: [row], format: 'JSONEachRow', clickhouse_settings: { wait_end_of_query: 1 } });
  }

  /** Latest row of every model version. */
  async models(): Promise<ModelRow[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM models ORDER BY version, updated_at DESC LIMIT 1 BY version`,
      format: 'JSONEachRow',
    });
    return (await rs.json<ModelRow>()).map((r) => ({ ...r, version: Number(r.version), customers: Number(r.customers), k: Number(r.k), seed: Number(r.seed) }));
  }

  /** The serving model: the highest version whose latest status is `active`. */
  async activeModel(): Promise<ModelRow | null> {
    const active = (await this.models()).filter((m) => m.status === 'active');
    return active.length ? active[active.length - 1]! : null;
  }

  async saveArtifact(version: number, artifact: string): Promise<void> {
    await this.client.insert({
      table: 'model_artifacts',
      values: [{ version, created_at: chTime(Date.now()), artifact }],
      format: 'JSONEachRow',
      clickhouse_settings: { wait_end_of_query: 1 },
    });
  }

  async loadArtifact(version: number): Promise<string | null> {
    const rs = await this.client.query({
      query: `SELECT artifact FROM model_artifacts WHERE version = ${Math.trunc(version)} ORDER BY created_at DESC LIMIT 1`,
      format: 'JSONEachRow',
      clickhouse_settings: BIG,
    });
    return (await rs.json<{ artifact: string }>())[0]?.artifact ?? null;
  }

  // ---- segments -----------------------------------------------------------------------------------------------

  async writeSegments(rows: readonly SegmentRow[]): Promise<void> {
    if (rows.length) await this.client.insert({ table: 'segments', values: rows as SegmentRow[], format: 'JSONEachRow', clickhouse_settings: { wait_end_of_query: 1 } });
  }

  async segments(version: number): Promise<SegmentRow[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM segments FINAL WHERE model_version = ${Math.trunc(version)} ORDER BY segment_id`,
      format: 'JSONEachRow',
    });
    return (await rs.json<SegmentRow>()).map((r) => ({ ...r, segment_id: Number(r.segment_id), model_version: Number(r.model_version), size: Number(r.size) }));
  }

  /** Lowest segment id never used by any model. */
  async nextSegmentId(): Promise<number> {
    const rs = await this.client.query({ query: 'SELECT max(segment_id) AS m, count() AS n FROM segments', format: 'JSONEachRow' });
    const r = (await rs.json<{ m: number | string; n: number | string }>())[0]!;
    return Number(r.n) === 0 ? 1 : Number(r.m) + 1;
  }

  // ---- memberships --------------------------------------------------------------------------------------------

  async stageMemberships(rows: readonly StagedMembership[]): Promise<void> {
    await this.insertChunked('membership_staging', rows);
  }

  async stagedMemberships(version: number): Promise<StagedMembership[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM membership_staging WHERE model_version = ${Math.trunc(version)} ORDER BY customer_id LIMIT 1 BY customer_id`,
      format: 'JSONEachRow',
      clickhouse_settings: BIG,
    });
    return (await rs.json<StagedMembership>()).map((r) => ({ ...r, segment_id: Number(r.segment_id), is_insider: Number(r.is_insider), model_version: Number(r.model_version) }));
  }

  /** Drops staged assignments of models older than `version` (they were applied or never will be). */
  async pruneStaging(version: number): Promise<void> {
    await this.client.command({ query: `DELETE FROM membership_staging WHERE model_version < ${Math.trunc(version)}`, clickhouse_settings: BIG });
  }

  /** Current memberships (latest row per customer), all or for some customers. */
  async currentMemberships(customerIds?: readonly string[]): Promise<Map<string, { segmentId: number; isInsider: boolean; modelVersion: number }>> {
    if (customerIds && customerIds.length === 0) return new Map();
    const where = customerIds ? `WHERE customer_id IN ${sqlStringList(customerIds)}` : '';
    const rs = await this.client.query({
      query: `SELECT customer_id, argMax(segment_id, updated_at) AS s, argMax(is_insider, updated_at) AS i, argMax(model_version, updated_at) AS v
              FROM memberships ${where} GROUP BY customer_id`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG,
    });
    const rows = await rs.json<[string, number, number, number]>();
    return new Map(rows.map(([c, s, i, v]) => [c, { segmentId: Number(s), isInsider: Number(i) === 1, modelVersion: Number(v) }]));
  }

  async writeMemberships(rows: readonly MembershipRow[]): Promise<void> {
    await this.insertChunked('memberships', rows);
  }

  async deleteMemberships(customerIds: readonly string[]): Promise<void> {
    if (customerIds.length === 0) return;
    await this.client.command({ query: `DELETE FROM memberships WHERE customer_id IN ${sqlStringList(customerIds)}`, clickhouse_settings: BIG });
  }

  async writeHistory(rows: readonly HistoryRow[]): Promise<void> {
    await this.insertChunked('membership_history', rows);
  }

  /** Customers that already have a history row for this model version and reason (recovery of an interrupted apply). */
  async historyCustomers(version: number, reason: MembershipReason): Promise<Set<string>> {
    const rs = await this.client.query({
      query: `SELECT DISTINCT customer_id FROM membership_history WHERE model_version = ${Math.trunc(version)} AND reason = ${sqlString(reason)}`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG,
    });
    return new Set((await rs.json<[string]>()).map((r) => r[0]));
  }

  /**
   * Which of the (customer, at) pairs already have a history row of this model version and reason, as
   * `customer|at` keys (`at` as DateTime64(3) text): a pass repeated after a crash writes only the missing ones.
   * A primary-key range (history is ordered by at, customer).
   */
  async existingHistory(version: number, reason: MembershipReason, rows: readonly { customerId: string; at: string }[]): Promise<Set<string>> {
    if (rows.length === 0) return new Set();
    const ats = rows.map((r) => r.at).sort();
    const rs = await this.client.query({
      query: `SELECT customer_id, toString(at) FROM membership_history
              WHERE at BETWEEN toDateTime64(${sqlString(ats[0]!)}, 3, 'UTC') AND toDateTime64(${sqlString(ats[ats.length - 1]!)}, 3, 'UTC')
                AND customer_id IN ${sqlStringList([...new Set(rows.map((r) => r.customerId))])}
                AND model_version = ${Math.trunc(version)} AND reason = ${sqlString(reason)}`,
      format: 'JSONCompactEachRow',
      clickhouse_settings: BIG,
    });
    return new Set((await rs.json<[string, string]>()).map(([c, at]) => `${c}|${at}`));
  }

  /** Removes backfilled history in [fromDay, toDay] so a backfill can be re-run. */
  async deleteBackfill(fromDay: string, toDay: string): Promise<void> {
    await this.client.command({
      query: `DELETE FROM membership_history WHERE reason = 'backfill' AND toDate(at) BETWEEN toDate(${sqlString(fromDay)}) AND toDate(${sqlString(toDay)})`,
      clickhouse_settings: BIG,
    });
  }

  /**
   * Each customer's earliest history row after `day` (refit / incremental, not backfill) when it is a first
   * assignment (from no segment): the rows a backfill up to `day` must connect to.
   */
  async firstAssignmentsAfter(day: string): Promise<HistoryRow[]> {
    const rs = await this.client.query({
      query: `SELECT * FROM membership_history
              WHERE reason != 'backfill' AND toDate(at) > toDate(${sqlString(day)})
              ORDER BY customer_id, at, recorded_at
              LIMIT 1 BY customer_id`,
      format: 'JSONEachRow',
    });
    return (await rs.json<HistoryRow>()).filter((r) => r.from_segment === null);
  }

  /** Replaces history rows (same customer, time, model and reason) by others, e.g. to chain them to a backfill. */
  async replaceHistory(removed: readonly HistoryRow[], added: readonly HistoryRow[]): Promise<void> {
    for (let i = 0; i < removed.length; i += 5_000) {
      const keys = removed
        .slice(i, i + 5_000)
        .map((r) => `(${sqlString(r.customer_id)}, toDateTime64(${sqlString(r.at)}, 3, 'UTC'), ${Math.trunc(r.model_version)}, ${sqlString(r.reason)})`)
        .join(', ');
      await this.client.command({
        query: `DELETE FROM membership_history WHERE from_segment IS NULL AND (customer_id, at, model_version, reason) IN (${keys})`,
        clickhouse_settings: BIG,
      });
    }
    await this.writeHistory(added);
  }

  /** The latest history row of a customer that moved them into their current segment. */
  async lastMove(customerId: string): Promise<HistoryRow | null> {
    const rs = await this.client.query({
      query: `SELECT * FROM membership_history WHERE customer_id = ${sqlString(customerId)} AND reason != 'backfill' ORDER BY recorded_at DESC, at DESC LIMIT 1`,
      format: 'JSONEachRow',
    });
    return (await rs.json<HistoryRow>())[0] ?? null;
  }

  async writeRfm(rows: readonly RfmRow[]): Promise<void> {
    await this.insertChunked('rfm_scores', rows);
  }

  // ---- state --------------------------------------------------------------------------------------------------

  async getState(key: string): Promise<string | null> {
    const rs = await this.client.query({
      query: `SELECT argMax(value, updated_at) AS v, count() AS n FROM clusterer_state WHERE key = ${sqlString(key)}`,
      format: 'JSONEachRow',
    });
    const r = (await rs.json<{ v: string; n: number | string }>())[0];
    return r && Number(r.n) > 0 ? r.v : null;
  }

  async setState(key: string, value: string): Promise<void> {
    await this.client.command({
      query: `INSERT INTO clusterer_state (key, value, updated_at) SELECT ${sqlString(key)}, ${sqlString(value)}, now64(6)`,
      clickhouse_settings: { wait_end_of_query: 1 },
    });
  }

  private async insertChunked(table: string, rows: readonly object[]): Promise<void> {
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
      await this.client.insert({
        table,
        values: rows.slice(i, i + INSERT_CHUNK) as object[],
        format: 'JSONEachRow',
        clickhouse_settings: { wait_end_of_query: 1 },
      });
    }
  }
}
