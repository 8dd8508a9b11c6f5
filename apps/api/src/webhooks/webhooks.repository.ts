import { Inject, Injectable } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { CLICKHOUSE } from '@insiders/storage';
import { isoFromClickHouse, selectRows } from '../common/clickhouse.helpers';

export interface Webhook {
  id: string;
  url: string;
  secret: string;
  filter: 'all' | 'insiders';
  description: string;
  active: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface DeliveryAttempt {
  deliveryId: string;
  webhookId: string;
  attempt: number;
  at: string | null;
  events: number;
  statusCode: number;
  outcome: 'delivered' | 'retrying' | 'failed';
  error: string;
  durationMs: number;
  nextAttemptAt: string | null;
}

const chTime = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

interface WebhookRow {
  id: string;
  url: string;
  secret: string;
  filter: string;
  description: string;
  active: number;
  created_at: string;
  updated_at: string;
}

function toWebhook(r: WebhookRow): Webhook {
  return {
    id: r.id,
    url: r.url,
    secret: r.secret,
    filter: r.filter === 'insiders' ? 'insiders' : 'all',
    description: r.description,
    active: r.active === 1,
    createdAt: isoFromClickHouse(r.created_at),
    updatedAt: isoFromClickHouse(r.updated_at),
  };
}

/** Webhook registrations and the delivery log (tables of 0400_api_webhooks.sql). */
@Injectable()
export class WebhooksRepository {
  constructor(@Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient) {}

  async save(w: Omit<Webhook, 'createdAt' | 'updatedAt'> & { createdAtMs: number; updatedAtMs: number }): Promise<void> {
    await this.clickhouse.insert({
      table: 'api_webhooks',
      values: [
        {
          id: w.id,
          url: w.url,
          secret: w.secret,
          filter: w.filter,
          description: w.description,
          active: w.active ? 1 : 0,
          created_at: chTime(w.createdAtMs),
          updated_at: chTime(w.updatedAtMs),
        },
      ],
      format: 'JSONEachRow',
    });
  }

  async get(id: string): Promise<Webhook | null> {
    const rows = await selectRows<WebhookRow>(this.clickhouse, `SELECT * FROM api_webhooks FINAL WHERE id = {id:String}`, { id });
    return rows[0] ? toWebhook(rows[0]) : null;
  }

  async list(activeOnly: boolean): Promise<Webhook[]> {
    const rows = await selectRows<WebhookRow>(
      this.clickhouse,
      `SELECT * FROM api_webhooks FINAL WHERE active = 1 OR {all:UInt8} = 1 ORDER BY created_at, id`,
      { all: activeOnly ? 0 : 1 },
    );
    return rows.map(toWebhook);
  }

  async logAttempt(a: Omit<DeliveryAttempt, 'at' | 'nextAttemptAt'> & { atMs: number; nextAttemptAtMs: number | null }): Promise<void> {
    await this.clickhouse.insert({
      table: 'api_webhook_deliveries',
      values: [
        {
          delivery_id: a.deliveryId,
          webhook_id: a.webhookId,
          attempt: a.attempt,
          at: chTime(a.atMs),
          events: a.events,
          status_code: a.statusCode,
          outcome: a.outcome,
          error: a.error.slice(0, 1_000),
          duration_ms: Math.round(a.durationMs),
          next_attempt_at: a.nextAttemptAtMs === null ? null : chTime(a.nextAttemptAtMs),
        },
      ],
      format: 'JSONEachRow',
    });
  }

  async deliveries(webhookId: string, limit: number, offset: number): Promise<{ total: number; items: DeliveryAttempt[] }> {
    const [rows, total] = await Promise.all([
      selectRows<{
        delivery_id: string;
        webhook_id: string;
        attempt: number;
        at: string;
        events: number;
        status_code: number;
        outcome: DeliveryAttempt['outcome'];
        error: string;
        duration_ms: number;
        next_attempt_at: string | null;
      }>(
        this.clickhouse,
        `SELECT * FROM api_webhook_deliveries WHERE webhook_id = {id:String}
         ORDER BY at DESC, attempt DESC LIMIT {limit:UInt32} OFFSET {offset:UInt32}`,
        { id: webhookId, limit, offset },
      ),
      selectRows<{ n: number }>(
        this.clickhouse,
        `SELECT toUInt32(count()) AS n FROM api_webhook_deliveries WHERE webhook_id = {id:String}`,
        { id: webhookId },
      ),
    ]);
    return {
      total: total[0]?.n ?? 0,
      items: rows.map((r) => ({
        deliveryId: r.delivery_id,
        webhookId: r.webhook_id,
        attempt: r.attempt,
        at: isoFromClickHouse(r.at),
        events: r.events,
        statusCode: r.status_code,
        outcome: r.outcome,
        error: r.error,
        durationMs: r.duration_ms,
        nextAttemptAt: isoFromClickHouse(r.next_attempt_at),
      })),
    };
  }
}
