import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** Content type of the Prometheus text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface MetricsRegistryOptions {
  /** Added as a `service` label to every metric (e.g. "features"). */
  service: string;
  /** Process metrics (CPU, memory, event loop lag). Default true; tests usually turn them off. */
  defaultMetrics?: boolean;
}

/**
 * One Prometheus registry per app (or per embedded process), with get-or-create helpers so modules can declare
 * the metrics they use without coordinating: asking twice for the same name returns the same metric.
 */
export class MetricsRegistry {
  readonly registry = new Registry();

  constructor(options: MetricsRegistryOptions) {
    this.registry.setDefaultLabels({ service: options.service });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  counter<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Counter<L> {
    return (this.registry.getSingleMetric(name) as Counter<L> | undefined) ?? new Counter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  gauge<L extends string = string>(name: string, help: string, labelNames: readonly L[] = []): Gauge<L> {
    return (this.registry.getSingleMetric(name) as Gauge<L> | undefined) ?? new Gauge<L>({ name, help, labelNames, registers: [this.registry] });
  }

  histogram<L extends string = string>(name: string, help: string, buckets: number[], labelNames: readonly L[] = []): Histogram<L> {
    return (
      (this.registry.getSingleMetric(name) as Histogram<L> | undefined) ??
      new Histogram<L>({ name, help, buckets, labelNames, registers: [this.registry] })
    );
  }

  /** The `/metrics` body. */
  async text(): Promise<string> {
    return this.registry.metrics();
  }
}
