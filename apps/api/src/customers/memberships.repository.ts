import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE, type HistoryRow } from '@insiders/storage';
import { bucketParams, bucketSql, type Bucketing } from '../common/buckets';
import { isoFromClickHouse, msParam, selectRows } from '../common/clickhouse.helpers';

export interface Membership {
  customerId: string;
  segmentId: number;
  isInsider: boolean;
  modelVersion: number;
  confidence: number;
  map: { x: number; y: number };
  reason: string;
  updatedAt: string | null;
}

export interface MembershipChange {
  customerId: string;
  at: string | null;
  recordedAt: string | null;
  fromSegment: number | null;
  toSegment: number | null;
  fromInsider: boolean;
  toInsider: boolean;
  modelVersion: number;
  reason: string;
}

export interface RfmScore {
  modelVersion: number;
  r: number;
  f: number;
  m: number;
  score: number;
  segment: string;
}

interface MembershipRow {
  customer_id: string;
  segment_id: number;
  is_insider: number;
  model_version: number;
  confidence: number;
  map_x: number;
  map_y: number;
  reason: string;
  updated_at: string;
}


export function toMembership(r: MembershipRow): Membership {
  return {
    customerId: r.customer_id,
    segmentId: r.segment_id,
    isInsider: r.is_insider === 1,
    modelVersion: r.model_version,
    confidence: r.confidence,
    map: { x: r.map_x, y: r.map_y },
    reason: r.reason,
    updatedAt: isoFromClickHouse(r.updated_at),
  };
}

function toChange(r: HistoryRow): MembershipChange {
  return {
    customerId: r.customer_id,
    at: isoFromClickHouse(r.at),
    recordedAt: isoFromClickHouse(r.recorded_at),
    fromSegment: r.from_segment,
    toSegment: r.to_segment,
    fromInsider: r.from_insider === 1,
    toInsider: r.to_insider === 1,
    modelVersion: r.model_version,
    reason: r.reason,
  };
}

export type TransitionDirection = 'entered' | 'exited' | 'both';

const DIRECTION_SQL: Record<TransitionDirection, string> = {
  entered: 'to_insider = 1 AND from_insider = 0',
  exited: 'from_insider = 1 AND to_insider = 0',
  both: 'from_insider != to_insider',
};

/** Current memberships, their history and the RFM baseline, as the clusterer writes them. */
@Injectable()
export class MembershipsRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  async current(customerId: string): Promise<Membership | null> {
    const rows = await selectRows<MembershipRow>(
      this.clickhouse,
      `SELECT * FROM memberships FINAL WHERE customer_id = {id:String} LIMIT 1`,
      { id: customerId },
    );
    return rows[0] ? toMembership(rows[0]) : null;
  }

  /** Changes when memberships, RFM scores or history change (row counts and latest times; O(1) reads). */
  async fingerprint(): Promise<string> {
    const rows = await selectRows<Record<string, string | number | null>>(
      this.clickhouse,
      `SELECT (SELECT toString(count()) FROM memberships) AS m, (SELECT toString(max(updated_at)) FROM memberships) AS mt,
              (SELECT toString(count()) FROM rfm_scores) AS r, (SELECT toString(count()) FROM membership_history) AS h`,
    );
    return JSON.stringify(rows[0] ?? {});
  }

  async count(): Promise<number> {
    const rows = await selectRows<{ n: number | string }>(this.clickhouse, `SELECT count() AS n FROM memberships FINAL`);
    return Number(rows[0]?.n ?? 0);
  }

  async all(): Promise<Membership[]> {
    const rows = await selectRows<MembershipRow>(this.clickhouse, `SELECT * FROM memberships FINAL`);
    return rows.map(toMembership);
  }

  async allRfm(): Promise<Map<string, RfmScore>> {
    const rows = await selectRows<{ customer_id: string; model_version: number; r: number; f: number; m: number; score: number; segment: string }>(
      this.clickhouse,
      `SELECT customer_id, model_version, r, f, m, score, segment FROM rfm_scores FINAL`,
    );
    return new Map(rows.map((r) => [r.customer_id, { modelVersion: r.model_version, r: r.r, f: r.f, m: r.m, score: r.score, segment: r.segment }]));
  }

  /** Every customer's latest recorded move. */
  async lastMoves(): Promise<Map<string, { fromSegment: number | null; toSegment: number | null }>> {
    const rows = await selectRows<{ customer_id: string; from_segment: number | null; to_segment: number | null }>(
      this.clickhouse,
      `SELECT customer_id, argMax(from_segment, (at, recorded_at)) AS from_segment, argMax(to_segment, (at, recorded_at)) AS to_segment
       FROM membership_history GROUP BY customer_id`,
    );
    return new Map(rows.map((r) => [r.customer_id, { fromSegment: r.from_segment, toSegment: r.to_segment }]));
  }

  async rfm(customerId: string): Promise<RfmScore | null> {
    const rows = await selectRows<{ model_version: number; r: number; f: number; m: number; score: number; segment: string }>(
      this.clickhouse,
      `SELECT model_version, r, f, m, score, segment FROM rfm_scores FINAL WHERE customer_id = {id:String} LIMIT 1`,
      { id: customerId },
    );
    const r = rows[0];
    return r ? { modelVersion: r.model_version, r: r.r, f: r.f, m: r.m, score: r.score, segment: r.segment } : null;
  }

  async history(customerId: string, limit: number, offset: number): Promise<{ total: number; items: MembershipChange[] }> {
    const [rows, total] = await Promise.all([
      selectRows<HistoryRow>(
        this.clickhouse,
        `SELECT * FROM membership_history WHERE customer_id = {id:String}
         ORDER BY at DESC, recorded_at DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
        { id: customerId, limit, offset },
      ),
      selectRows<{ n: number }>(
        this.clickhouse,
        `SELECT toUInt32(count()) AS n FROM membership_history WHERE customer_id = {id:String}`,
        { id: customerId },
      ),
    ]);
    return { total: total[0]?.n ?? 0, items: rows.map(toChange) };
  }

  /** Insiders entered and/or exited in [from, to), oldest first, with the totals of the whole range. */
  async transitions(
    fromMs: number,
    toMs: number,
    direction: TransitionDirection,
    limit: number,
    offset: number,
  ): Promise<{ entered: number; exited: number; items: MembershipChange[] }> {
    const range = `at >= ${msParam('from')} AND at < ${msParam('to')}`;
    const params = { from: fromMs, to: toMs, limit, offset };
    const [rows, totals] = await Promise.all([
      selectRows<HistoryRow>(
        this.clickhouse,
        `SELECT * FROM membership_history WHERE ${range} AND ${DIRECTION_SQL[direction]}
         ORDER BY at, customer_id LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
        params,
      ),
      selectRows<{ entered: number; exited: number }>(
        this.clickhouse,
        `SELECT toUInt32(countIf(${DIRECTION_SQL.entered})) AS entered, toUInt32(countIf(${DIRECTION_SQL.exited})) AS exited
         FROM membership_history WHERE ${range}`,
        params,
      ),
    ]);
    return { entered: totals[0]?.entered ?? 0, exited: totals[0]?.exited ?? 0, items: rows.map(toChange) };
  }

  /** Insiders entered and exited per bucket of [from, to). */
  async transitionCounts(
    fromMs: number,
    toMs: number,
    bucketing: Bucketing,
  ): Promise<{ t: number; entered: number; exited: number }[]> {
    const rows = await selectRows<{ t: string; entered: number; exited: number }>(
      this.clickhouse,
      `SELECT ${bucketSql('at', bucketing)} AS t,
              toUInt32(countIf(${DIRECTION_SQL.entered})) AS entered, toUInt32(countIf(${DIRECTION_SQL.exited})) AS exited
       FROM membership_history
       WHERE at >= ${msParam('from')} AND at < ${msParam('to')} AND from_insider != to_insider
       GROUP BY t ORDER BY t`,
      { from: fromMs, to: toMs, ...bucketParams(bucketing) },
    );
    return rows.map((r) => ({ t: Number(r.t), entered: r.entered, exited: r.exited }));
  }
}
