import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Counter, Gauge, Histogram } from 'prom-client';
import { METRICS, MetricsRegistry } from '@insiders/observability';

/**
 * The API's Prometheus metrics, declared in the process registry of @insiders/observability (`METRICS`, served
 * at GET /metrics by ObservabilityModule). Without ObservabilityModule the API keeps a registry of its own.
 */
@Injectable()
export class ApiMetrics {
  readonly registry: MetricsRegistry;
  readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  readonly sseClients: Gauge;
  readonly webhookAttempts: Counter<'outcome'>;
  readonly rateLimited: Counter;

  constructor(@Optional() @Inject(METRICS) registry?: MetricsRegistry) {
    this.registry = registry ?? new MetricsRegistry({ service: 'api', defaultMetrics: false });
    this.httpDuration = this.registry.histogram(
      'insiders_api_http_request_duration_seconds',
      'API request duration by route and status',
      [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ['method', 'route', 'status'],
    );
    this.sseClients = this.registry.gauge('insiders_api_sse_clients', 'Open Server-Sent Events streams');
    this.webhookAttempts = this.registry.counter('insiders_api_webhook_attempts_total', 'Webhook delivery attempts by outcome', ['outcome']);
    this.rateLimited = this.registry.counter('insiders_api_rate_limited_total', 'Requests refused by the rate limit');
  }
}
