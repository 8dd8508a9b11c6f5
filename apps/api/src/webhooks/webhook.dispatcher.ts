import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DELIVERY_HEADER, signWebhook, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '@insiders/api-contracts';
import { parseSegmentChangeEvent, type SegmentChangeEvent } from '@insiders/events';
import { EVENT_BUS, topicsFor, type EventBus, type Subscription } from '@insiders/messaging';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { ApiMetrics } from '../observability/api.metrics';
import { WebhooksRepository, type Webhook } from './webhooks.repository';

/** Body of every webhook delivery (signed as a whole; see @insiders/api-contracts webhook.signature). */
export interface WebhookPayload {
  deliveryId: string;
  webhookId: string;
  sentAt: string;
  events: SegmentChangeEvent[];
}

/** Retry after: network errors, timeouts, 408, 429 and 5xx. Other 4xx are permanent failures. */
export function isRetriable(status: number): boolean {
  return status === 0 || status === 408 || status === 429 || status >= 500;
}

/** Delay before attempt `attempt + 1`: base * 2^(attempt-1), plus up to 10% jitter. */
export function backoffMs(base: number, attempt: number, random: () => number = Math.random): number {
  const d = base * 2 ** (attempt - 1);
  return Math.round(d + d * 0.1 * random());
}

/**
 * Delivers segment changes to registered webhooks. A durable consumer group on the segment-change topic: a batch
 * is committed only once every webhook's delivery has either succeeded or finally failed (after
 * WEBHOOK_MAX_ATTEMPTS with exponential backoff), so a crash re-sends (at-least-once; receivers deduplicate by
 * event id). Each attempt is written to the delivery log.
 */
@Injectable()
export class WebhookDispatcher implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('WebhookDispatcher');
  private subscription?: Subscription;
  private readonly shutdown = new AbortController();

  constructor(
    private readonly webhooks: WebhooksRepository,
    private readonly metrics: ApiMetrics,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Optional() @Inject(EVENT_BUS) private readonly bus?: EventBus | null,
  ) {}

  async onModuleInit(): Promise<void> {
    if (!this.bus || !this.config.WEBHOOKS_ENABLED) return;
    // the clusterer may not have created the topic yet (it publishes the first change later)
    await this.bus.ensureTopics([{ topic: topicsFor(this.config.TOPIC_PREFIX).segmentChanges }]);
    this.subscription = await this.bus.subscribe(
      {
        topic: topicsFor(this.config.TOPIC_PREFIX).segmentChanges,
        groupId: `${this.config.API_GROUP_PREFIX}-webhooks`,
        fromBeginning: false,
      },
      async (batch) => {
        const events: SegmentChangeEvent[] = [];
        for (const m of batch.messages) {
          try {
            events.push(parseSegmentChangeEvent(JSON.parse(m.value.toString('utf8'))));
          } catch (error) {
            this.logger.warn(`skipping segment-change at offset ${m.offset}: ${(error as Error).message}`);
          }
        }
        await this.dispatch(events);
      },
    );
  }

  async onModuleDestroy(): Promise<void> {
    this.shutdown.abort();
    await this.subscription?.stop();
  }

  /** Sends `events` to every active webhook (in chunks), retrying each delivery; resolves when all are settled. */
  async dispatch(events: SegmentChangeEvent[]): Promise<void> {
    if (events.length === 0) return;
    const hooks = await this.webhooks.list(true);
    await Promise.all(
      hooks.map(async (hook) => {
        const selected = hook.filter === 'insiders' ? events.filter((e) => e.insider !== 'unchanged') : events;
        for (let i = 0; i < selected.length; i += this.config.WEBHOOK_MAX_EVENTS_PER_DELIVERY) {
          await this.deliver(hook, selected.slice(i, i + this.config.WEBHOOK_MAX_EVENTS_PER_DELIVERY));
        }
      }),
    );
    if (this.shutdown.signal.aborted) throw new Error('shutting down: batch left uncommitted for redelivery');
  }

  private async deliver(hook: Webhook, events: SegmentChangeEvent[]): Promise<void> {
    const deliveryId = randomUUID();
    const body = JSON.stringify({ deliveryId, webhookId: hook.id, sentAt: new Date().toISOString(), events } satisfies WebhookPayload);
    for (let attempt = 1; attempt <= this.config.WEBHOOK_MAX_ATTEMPTS; attempt++) {
      if (this.shutdown.signal.aborted) return;
      const started = Date.now();
      const { status, error } = await this.post(hook, deliveryId, attempt, body);
      const ok = status >= 200 && status < 300;
      const retry = !ok && isRetriable(status) && attempt < this.config.WEBHOOK_MAX_ATTEMPTS;
      const wait = retry ? backoffMs(this.config.WEBHOOK_BACKOFF_MS, attempt) : 0;
      const outcome = ok ? 'delivered' : retry ? 'retrying' : 'failed';
      this.metrics.webhookAttempts.inc({ outcome });
      await this.webhooks
        .logAttempt({
          deliveryId,
          webhookId: hook.id,
          attempt,
          atMs: started,
          events: events.length,
          statusCode: status,
          outcome,
          error,
          durationMs: Date.now() - started,
          nextAttemptAtMs: retry ? Date.now() + wait : null,
        })
        .catch((e: unknown) => this.logger.error(`delivery log write failed: ${(e as Error).message}`));
      if (!retry) {
        if (!ok) this.logger.warn(`webhook ${hook.id} delivery ${deliveryId} failed after ${attempt} attempt(s): ${status} ${error}`);
        return;
      }
      await this.wait(wait);
    }
  }

  private async post(hook: Webhook, deliveryId: string, attempt: number, body: string): Promise<{ status: number; error: string }> {
    const timestamp = Date.now();
    try {
      const response = await fetch(hook.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'insiders-webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(hook.secret, timestamp, body),
          [TIMESTAMP_HEADER]: String(timestamp),
          [DELIVERY_HEADER]: deliveryId,
          'x-insiders-attempt': String(attempt),
        },
        body,
        signal: AbortSignal.any([AbortSignal.timeout(this.config.WEBHOOK_TIMEOUT_MS), this.shutdown.signal]),
        redirect: 'manual',
      });
      await response.arrayBuffer().catch(() => undefined);
      return { status: response.status, error: response.ok ? '' : `HTTP ${response.status}` };
    } catch (e) {
      return { status: 0, error: (e as Error).message };
    }
  }

  private wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.shutdown.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.shutdown.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
