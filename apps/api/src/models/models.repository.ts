import type { ModelRow } from '@insiders/storage';
import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE } from '@insiders/storage';
import { isoFromClickHouse, msParam, parseJsonColumn, selectRows } from '../common/clickhouse.helpers';


export interface ModelVersion {
  version: number;
  status: string;
  createdAt: string | null;
  updatedAt: string | null;
  trigger: string;
  seed: number;
  dataCutoff: string | null;
  customers: number;
  k: number;
  silhouette: number;
  silhouetteCurve: unknown[];
  sizes: Record<string, number>;
  timings: Record<string, number>;
  ariPrevious: number | null;
  lineage: unknown;
  params: unknown;
  error: string | null;
  /** Adjusted Rand index between the RFM baseline and the ML segments. */
  rfmAgreement: number | null;
  /** The Insiders selection of the model: rule, selected segment ids, candidates with reasons. */
  insiders: unknown;
}

const COLUMNS = `version, status, created_at, updated_at, trigger, seed, params, data_cutoff, customers, k, silhouette,
  silhouette_curve, sizes, timings, ari_previous, lineage, error, rfm_agreement, insiders`;

function toModel(r: ModelRow): ModelVersion {
  return {
    version: r.version,
    status: r.status,
    createdAt: isoFromClickHouse(r.created_at),
    updatedAt: isoFromClickHouse(r.updated_at),
    trigger: r.trigger,
    seed: r.seed,
    dataCutoff: isoFromClickHouse(r.data_cutoff),
    customers: r.customers,
    k: r.k,
    silhouette: r.silhouette,
    silhouetteCurve: parseJsonColumn(r.silhouette_curve, []),
    sizes: parseJsonColumn(r.sizes, {}),
    timings: parseJsonColumn(r.timings, {}),
    ariPrevious: r.ari_previous,
    lineage: parseJsonColumn(r.lineage, {}),
    params: parseJsonColumn(r.params, {}),
    error: r.error || null,
    rfmAgreement: r.rfm_agreement ?? null,
    insiders: parseJsonColumn(r.insiders, null),
  };
}

/** The model registry written by the clusterer (`models`, latest row per version wins). */
@Injectable()
export class ModelsRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  async active(): Promise<ModelVersion | null> {
    const rows = await selectRows<ModelRow>(
      this.clickhouse,
      `SELECT ${COLUMNS} FROM models FINAL WHERE status = 'active' ORDER BY version DESC LIMIT 1`,
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  async get(version: number): Promise<ModelVersion | null> {
    const rows = await selectRows<ModelRow>(
      this.clickhouse,
      `SELECT ${COLUMNS} FROM models FINAL WHERE version = {version:UInt32}`,
      { version },
    );
    return rows[0] ? toModel(rows[0]) : null;
  }

  async list(limit: number, offset: number): Promise<{ total: number; items: ModelVersion[] }> {
    const [rows, total] = await Promise.all([
      selectRows<ModelRow>(
        this.clickhouse,
        `SELECT ${COLUMNS} FROM models FINAL ORDER BY version DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
        { limit, offset },
      ),
      selectRows<{ n: number }>(this.clickhouse, `SELECT toUInt32(uniqExact(version)) AS n FROM models`),
    ]);
    return { total: total[0]?.n ?? 0, items: rows.map(toModel) };
  }

  /** Models created in [from, to): every refit attempt, for annotations. */
  async createdBetween(fromMs: number, toMs: number): Promise<ModelVersion[]> {
    const rows = await selectRows<ModelRow>(
      this.clickhouse,
      `SELECT ${COLUMNS} FROM models FINAL
       WHERE created_at >= ${msParam('from')} AND created_at < ${msParam('to')}
       ORDER BY created_at LIMIT 10000`,
      { from: fromMs, to: toMs },
    );
    return rows.map(toModel);
  }
}
