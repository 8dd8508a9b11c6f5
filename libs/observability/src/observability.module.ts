import { Controller, Get, Global, Header, Inject, Module, Res, type DynamicModule } from '@nestjs/common';
import { HealthChecks } from './health.check';
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from './metrics.registry';

export const METRICS = Symbol('METRICS');
export const HEALTH = Symbol('HEALTH');

interface ReplyLike {
  status(code: number): ReplyLike;
  send(body: unknown): unknown;
}

@Controller()
class ObservabilityController {
  constructor(
    @Inject(METRICS) private readonly metrics: MetricsRegistry,
    @Inject(HEALTH) private readonly health: HealthChecks,
  ) {}

  @Get('metrics')
  @Header('Content-Type', PROMETHEUS_CONTENT_TYPE)
  async metricsText(): Promise<string> {
    return this.metrics.text();
  }

  @Get('health')
  async healthReport(@Res() reply: ReplyLike): Promise<void> {
    const report = await this.health.run();
    reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }
}

/**
 * Global `METRICS` (MetricsRegistry) and `HEALTH` (HealthChecks) providers plus `GET /metrics` and `GET /health`.
 * Import once per process (`forRoot`); pass an existing registry to share it (embedded composition root), or set
 * `http: false` to get the providers without the routes (a process serving them elsewhere).
 */
@Global()
@Module({})
export class ObservabilityModule {
  static forRoot(options: { service: string; registry?: MetricsRegistry; health?: HealthChecks; http?: boolean; defaultMetrics?: boolean }): DynamicModule {
    const registry = options.registry ?? new MetricsRegistry({ service: options.service, defaultMetrics: options.defaultMetrics });
    const health = options.health ?? new HealthChecks();
    return {
      module: ObservabilityModule,
      controllers: options.http === false ? [] : [ObservabilityController],
      providers: [
        { provide: METRICS, useValue: registry },
        { provide: HEALTH, useValue: health },
      ],
      exports: [METRICS, HEALTH],
    };
  }
}
