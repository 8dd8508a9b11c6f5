import { Body, HttpCode, Post, Req } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { z } from 'zod';
import { refitRequestSchema, replayRequestSchema } from '@insiders/api-contracts';
import { Admin } from '../common/access.decorator';
import { ApiController } from '../common/api-controller.decorator';
import { callerOf } from '../common/security.guards';
import { ZodPipe } from '../common/validation';
import { AdminService } from './admin.service';

@ApiController('v1/admin', 'admin')
@Admin()
export class AdminController {
  constructor(private readonly admin: AdminService) {}

  @Post('refit')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request a refit now (admin key)' })
  @ApiBody({ schema: z.toJSONSchema(refitRequestSchema, { io: 'input' }) as object })
  refit(@Body(ZodPipe(() => refitRequestSchema)) body: z.infer<typeof refitRequestSchema>, @Req() req: FastifyRequest) {
    return this.admin.refit(body.reason, callerOf(req).id);
  }

  @Post('replay')
  @HttpCode(202)
  @ApiOperation({ summary: 'Request a replay of a data file through ingest (admin key)' })
  @ApiBody({ schema: z.toJSONSchema(replayRequestSchema, { io: 'input' }) as object })
  replay(@Body(ZodPipe(() => replayRequestSchema)) body: z.infer<typeof replayRequestSchema>, @Req() req: FastifyRequest) {
    return this.admin.replay(body.file, body.limit, callerOf(req).id);
  }
}
