import { Query, Sse, type MessageEvent } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery } from '@nestjs/swagger';
import type { Observable } from 'rxjs';
import { z } from 'zod';
import { customerIdSchema } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { LiveService } from './live.service';

const liveQuerySchema = () =>
  z.object({
    insidersOnly: z.enum(['true', 'false', '1', '0']).optional().transform((v) => v === 'true' || v === '1'),
    customerId: customerIdSchema.optional(),
    segmentId: z.coerce.number().int().min(0).max(65_535).optional(),
  });
export type LiveQuery = z.infer<ReturnType<typeof liveQuerySchema>>;

@ApiController('v1/live', 'live')
export class LiveController {
  constructor(private readonly live: LiveService) {}

  @Sse('segment-changes')
  @ApiOperation({
    summary: 'Server-Sent Events: segment-change events (event: segment-change, id: eventId, data: segment-change/v1 JSON); heartbeats as event: heartbeat',
  })
  @ApiProduces('text/event-stream')
  @ApiQuery({ name: 'insidersOnly', required: false, enum: ['true', 'false'] })
  @ApiQuery({ name: 'customerId', required: false })
  @ApiQuery({ name: 'segmentId', required: false, type: Number })
  stream(@Query(ZodPipe(liveQuerySchema)) q: LiveQuery): Observable<MessageEvent> {
    return this.live.stream(q);
  }
}
