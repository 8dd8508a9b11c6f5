import {
  Global,
  Inject,
  Logger,
  Module,
  Optional,
  type DynamicModule,
  type OnModuleInit,
  type Provider,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyInstance } from 'fastify';
import {
  CUSTOMER_EXPLAINER,
  REFIT_TRIGGER,
  REPLAY_TRIGGER,
  type CustomerExplainer,
  type RefitTrigger,
  type ReplayTrigger,
} from '@insiders/api-contracts';
import { EVENT_BUS, type EventBus } from '@insiders/messaging';
import { HEALTH, HealthChecks } from '@insiders/observability';
import { CLICKHOUSE } from '@insiders/storage';
import { loadApiConfig, type ApiConfig } from './api.config';
import { API_CONFIG, API_HEALTH } from './api.tokens';
import { AdminController } from './admin/admin.controller';
import { AdminService } from './admin/admin.service';
import { ApiKeyRing } from './common/api-keys';
import { ApiExceptionFilter } from './common/api-exception.filter';
import { ApiKeyGuard, keyRingFrom, RateLimitGuard } from './common/security.guards';
import { CustomersController } from './customers/customers.controller';
import { DashboardModule } from './dashboard/dashboard.module';
import { ReportModule } from './report/report.module';
import { CustomerReadModel } from './customers/customer-read-model';
import { CustomersService } from './customers/customers.service';
import { ExplanationService } from './customers/explanation.service';
import { FeaturesRepository } from './customers/features.repository';
import { MembershipsRepository } from './customers/memberships.repository';
import { GrafanaController } from './grafana/grafana.controller';
import { GrafanaService } from './grafana/grafana.service';
import { HealthController } from './health/health.controller';
import { InsidersController } from './insiders/insiders.controller';
import { InsidersRepository } from './insiders/insiders.repository';
import { InsidersService } from './insiders/insiders.service';
import { LiveController } from './live/live.controller';
import { LiveService } from './live/live.service';
import { SegmentChangeStream } from './live/segment-change.stream';
import { ModelsController } from './models/models.controller';
import { ModelsRepository } from './models/models.repository';
import { ModelsService } from './models/models.service';
import { ApiMetrics } from './observability/api.metrics';
import { SegmentsController } from './segments/segments.controller';
import { SegmentsRepository } from './segments/segments.repository';
import { SegmentsService } from './segments/segments.service';
import { WebhookDispatcher } from './webhooks/webhook.dispatcher';
import { WebhooksController } from './webhooks/webhooks.controller';
import { WebhooksRepository } from './webhooks/webhooks.repository';
import { WebhooksService } from './webhooks/webhooks.service';

export interface ApiModuleOptions {
  /** Parsed configuration; default: `loadApiConfig(process.env)`. */
  config?: ApiConfig;
  /** Trigger ports; when omitted, globally provided REFIT_TRIGGER / REPLAY_TRIGGER are used if any (else 503). */
  refitTrigger?: RefitTrigger;
  replayTrigger?: ReplayTrigger;
  /** The clusterer's full explanation (GET /v1/customers/:id/explanation); else globally provided CUSTOMER_EXPLAINER if any. */
  explainer?: CustomerExplainer;
  /** Import the built-in dashboard and the business report (default true; false for a bare REST/Grafana API). */
  optionalModules?: boolean;
}

/** Services and repositories of the API: global, so DashboardModule and ReportModule can inject any of them. */
const SHARED = [
  ApiMetrics,
  ApiKeyRing,
  ApiKeyGuard,
  RateLimitGuard,
  ApiExceptionFilter,
  ModelsRepository,
  SegmentsRepository,
  MembershipsRepository,
  FeaturesRepository,
  InsidersRepository,
  WebhooksRepository,
  ModelsService,
  SegmentsService,
  CustomerReadModel,
  CustomersService,
  ExplanationService,
  InsidersService,
  AdminService,
  WebhooksService,
  GrafanaService,
  SegmentChangeStream,
  LiveService,
];

@Global()
@Module({})
export class ApiCoreModule {
  static forRoot(options: ApiModuleOptions): DynamicModule {
    const config = options.config ?? loadApiConfig();
    const providers: Provider[] = [
      { provide: API_CONFIG, useValue: config },
      { provide: ApiKeyRing, useFactory: keyRingFrom, inject: [API_CONFIG] },
      {
        provide: API_HEALTH,
        useFactory: (health?: HealthChecks) => health ?? new HealthChecks(),
        inject: [{ token: HEALTH, optional: true }],
      },
      ...SHARED.filter((p) => p !== ApiKeyRing),
      WebhookDispatcher,
    ];
    if (options.refitTrigger) providers.push({ provide: REFIT_TRIGGER, useValue: options.refitTrigger });
    if (options.replayTrigger) providers.push({ provide: REPLAY_TRIGGER, useValue: options.replayTrigger });
    if (options.explainer) providers.push({ provide: CUSTOMER_EXPLAINER, useValue: options.explainer });
    return {
      module: ApiCoreModule,
      providers,
      exports: [API_CONFIG, API_HEALTH, ...SHARED],
    };
  }
}

/**
 * The API: REST (/v1), Grafana datasource (/grafana), live updates (SSE, webhooks), health probes. Needs the
 * process-wide `CLICKHOUSE` (StorageModule) and, for live features, `EVENT_BUS` (BusModule); `/health` and
 * `/metrics` come from ObservabilityModule when the process imports it. The embedded composition root imports
 * `ApiModule.forRoot({...})` beside the other apps' modules and calls `configureApiApp(app, config)`.
 */
@Module({})
export class ApiModule implements OnModuleInit {
  private readonly logger = new Logger('ApiModule');

  static forRoot(options: ApiModuleOptions = {}): DynamicModule {
    return {
      module: ApiModule,
      imports: [ApiCoreModule.forRoot(options), ...(options.optionalModules === false ? [] : [DashboardModule, ReportModule])],
      controllers: [
        CustomersController,
        SegmentsController,
        InsidersController,
        ModelsController,
        AdminController,
        WebhooksController,
        LiveController,
        GrafanaController,
        HealthController,
      ],
    };
  }

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly metrics: ApiMetrics,
    private readonly ring: ApiKeyRing,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
    @Inject(API_HEALTH) private readonly health: HealthChecks,
    @Inject(CLICKHOUSE) private readonly clickhouse: ClickHouseClient,
    @Optional() @Inject(EVENT_BUS) private readonly bus?: EventBus | null,
  ) {}

  onModuleInit(): void {
    this.health.register('clickhouse', async () => {
      const result = await this.clickhouse.ping();
      if (!result.success) throw result.error;
    });
    if (this.bus) this.health.register('bus', () => this.bus!.ping());
    if (!this.ring.hasAdminKey) this.logger.warn('no admin API key configured (API_KEYS / API_KEY_HASHES): admin endpoints answer 401');
    const fastify = this.adapterHost.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (fastify && typeof fastify.route === 'function' && !fastify.hasRoute({ method: 'GET', url: '/grafana/' })) {
      // Grafana tests the datasource with `GET <url>/`; Nest routes have no trailing slash.
      fastify.get('/grafana/', async (request, reply) => {
        const raw = request.headers['x-api-key'];
        const key = Array.isArray(raw) ? raw[0] : raw;
        const role = key ? this.ring.roleOf(key) : null;
        if ((key && !role) || (this.config.API_READ_REQUIRES_KEY && !role)) {
          return reply.status(401).send({ statusCode: 401, message: 'an API key is required (X-API-Key)' });
        }
        return { status: 'ok', datasource: 'insiders' };
      });
    }
    if (fastify && typeof fastify.addHook === 'function') {
      fastify.addHook('onResponse', (request, reply, done) => {
        const route = request.routeOptions?.url ?? 'unmatched';
        this.metrics.httpDuration.observe(
          { method: request.method, route, status: String(reply.statusCode) },
          reply.elapsedTime / 1000,
        );
        done();
      });
    }
  }
}
