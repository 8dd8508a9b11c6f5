import { Get, Inject, Res } from '@nestjs/common';
import { ApiOperation } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import type { HealthChecks } from '@insiders/observability';
import { API_HEALTH } from '../api.tokens';
import { Public } from '../common/access.decorator';
import { ApiController } from '../common/api-controller.decorator';

/**
 * Liveness and readiness. `GET /health` and `GET /metrics` are served by ObservabilityModule (libs/observability)
 * for the whole process; the API adds `/health/live` (the process answers) and `/health/ready` (the same probes
 * as /health: ClickHouse and the event bus, registered by ApiModule).
 */
@ApiController('health', 'health')
@Public()
export class HealthController {
  constructor(@Inject(API_HEALTH) private readonly health: HealthChecks) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process answers' })
  live() {
    return { status: 'ok', uptimeSeconds: Math.round(process.uptime()) };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: ClickHouse and event bus probes (503 if any fails)' })
  async ready(@Res() reply: FastifyReply): Promise<void> {
    const report = await this.health.run();
    await reply.status(report.status === 'ok' ? 200 : 503).send(report);
  }
}
