import { Body, Delete, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { paginationShape, webhookRegistrationSchema, type RequestLimits, type WebhookRegistration } from '@insiders/api-contracts';
import { Admin } from '../common/access.decorator';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { WebhooksService } from './webhooks.service';

const idSchema = () => z.uuid('must be a webhook id (UUID)');
const pageSchema = (l: RequestLimits) => z.object(paginationShape(l));
type PageQuery = z.infer<ReturnType<typeof pageSchema>>;

@ApiController('v1/admin/webhooks', 'webhooks')
@Admin()
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Post()
  @ApiOperation({
    summary:
      'Register a webhook: segment changes are POSTed as JSON, signed with HMAC-SHA256 (X-Insiders-Signature: sha256=hex over "<X-Insiders-Timestamp>.<body>"); the secret is returned once',
  })
  @ApiBody({ schema: z.toJSONSchema(webhookRegistrationSchema, { io: 'input' }) as object })
  register(@Body(ZodPipe(() => webhookRegistrationSchema)) body: WebhookRegistration) {
    return this.webhooks.register(body);
  }

  @Get()
  @ApiOperation({ summary: 'Registered webhooks (without secrets)' })
  list() {
    return this.webhooks.list();
  }

  @Delete(':id')
  @ApiParam({ name: 'id' })
  @ApiOperation({ summary: 'Deactivate a webhook' })
  deactivate(@Param('id', ZodPipe(idSchema, 'id')) id: string) {
    return this.webhooks.deactivate(id);
  }

  @Get(':id/deliveries')
  @ApiParam({ name: 'id' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  @ApiOperation({ summary: 'Delivery log of a webhook (one row per attempt), newest first' })
  deliveries(@Param('id', ZodPipe(idSchema, 'id')) id: string, @Query(ZodPipe(pageSchema)) q: PageQuery) {
    return this.webhooks.deliveries(id, q.limit, q.offset);
  }
}
