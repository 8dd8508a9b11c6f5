import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE } from '@insiders/storage';
import { bucketParams, bucketSql, type Bucketing } from '../common/buckets';
import type { SegmentRow } from '@insiders/storage';
import { msParam, selectRows } from '../common/clickhouse.helpers';


export interface SegmentProfile {
  modelVersion: number;
  segmentId: number;
  name: string;
  isInsiders: boolean;
  size: number;
  share: number;
  revenueShare: number;
  meanRevenue: number;
  medianRevenue: number;
  meanRecency: number;
  meanFrequency: number;
  meanReturns: number;
  meanInvoices: number;
  meanItems: number;
  meanProducts: number;
  meanTicket: number;
  origin: string;
  parents: number[];
}

function toProfile(r: SegmentRow): SegmentProfile {
  return {
    modelVersion: r.model_version,
    segmentId: r.segment_id,
    name: r.name,
    isInsiders: r.is_insiders === 1,
    size: r.size,
    share: r.share,
    revenueShare: r.revenue_share,
    meanRevenue: r.mean_revenue,
    medianRevenue: r.median_revenue,
    meanRecency: r.mean_recency,
    meanFrequency: r.mean_frequency,
    meanReturns: r.mean_returns,
    meanInvoices: r.mean_invoices,
    meanItems: r.mean_items,
    meanProducts: r.mean_products,
    meanTicket: r.mean_ticket,
    origin: r.origin,
    parents: r.parents,
  };
}

/** Per-bucket net change of a segment's membership (+1 entered, -1 left); callers accumulate. */
export interface SizeDelta {
  segmentId: number;
  t: number;
  delta: number;
}

/** Segment profiles per model (`segments`) and segment sizes over time (from `membership_history`). */
@Injectable()
export class SegmentsRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  async profiles(modelVersion: number): Promise<SegmentProfile[]> {
    const rows = await selectRows<SegmentRow>(
      this.clickhouse,
      `SELECT * FROM segments FINAL WHERE model_version = {v:UInt32} ORDER BY segment_id`,
      { v: modelVersion },
    );
    return rows.map(toProfile);
  }

  /** The latest name of every segment id ever used, and whether that latest profile is an Insiders segment. */
  async names(): Promise<{ segmentId: number; name: string; isInsiders: boolean }[]> {
    const rows = await selectRows<{ segment_id: number; name: string; is_insiders: number }>(
      this.clickhouse,
      `SELECT segment_id, argMax(name, model_version) AS name, argMax(is_insiders, model_version) AS is_insiders
       FROM segments FINAL GROUP BY segment_id ORDER BY segment_id`,
    );
    return rows.map((r) => ({ segmentId: r.segment_id, name: r.name, isInsiders: r.is_insiders === 1 }));
  }

  /**
   * Net membership change per (segment, bucket) over [from, to), in one scan of the history (+1 into to_segment,
   * -1 out of from_segment). Changes before `from` are folded into the first
   * bucket, so the running sum of deltas is the segment's size at the end of each bucket.
   */
  async sizeDeltas(fromMs: number, toMs: number, bucketing: Bucketing): Promise<SizeDelta[]> {
    const rows = await selectRows<{ segment_id: number; t: string; delta: number }>(
      this.clickhouse,
      `SELECT toUInt16(change.1) AS segment_id, ${bucketSql('at2', bucketing)} AS t, toInt32(sum(change.2)) AS delta
       FROM (
         SELECT greatest(at, ${msParam('from')}) AS at2,
                arrayJoin(arrayConcat(
                  if(to_segment IS NULL, [], [(toInt32(assumeNotNull(to_segment)), toInt32(1))]),
                  if(from_segment IS NULL, [], [(toInt32(assumeNotNull(from_segment)), toInt32(-1))])
                )) AS change
         FROM membership_history WHERE at < ${msParam('to')}
       )
       GROUP BY segment_id, t
       ORDER BY segment_id, t`,
      { from: fromMs, to: toMs, ...bucketParams(bucketing) },
    );
    return rows.map((r) => ({ segmentId: r.segment_id, t: Number(r.t), delta: r.delta }));
  }

  /** Net change of the Insiders population per bucket (earlier changes folded into the first bucket). */
  async insiderDeltas(fromMs: number, toMs: number, bucketing: Bucketing): Promise<{ t: number; delta: number }[]> {
    const rows = await selectRows<{ t: string; delta: number }>(
      this.clickhouse,
      `SELECT ${bucketSql(`greatest(at, ${msParam('from')})`, bucketing)} AS t,
              toInt32(sum(toInt32(to_insider) - toInt32(from_insider))) AS delta
       FROM membership_history
       WHERE at < ${msParam('to')} AND from_insider != to_insider
       GROUP BY t ORDER BY t`,
      { from: fromMs, to: toMs, ...bucketParams(bucketing) },
    );
    return rows.map((r) => ({ t: Number(r.t), delta: r.delta }));
  }
}
