import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { bucketSchema, timeRangeSchema } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { SegmentsService } from './segments.service';

const segmentIdSchema = () => z.coerce.number().int('must be an integer').min(0).max(65_535);
const sizesSchema = (l: Parameters<typeof timeRangeSchema>[0]) => timeRangeSchema(l, { bucket: bucketSchema.default('day') });
type SizesQuery = z.infer<ReturnType<typeof sizesSchema>>;

@ApiController('v1/segments', 'segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get()
  @ApiOperation({ summary: 'Segment profiles of the active model (size and share, revenue, recency, frequency, returns, invoices, items)' })
  list() {
    return this.segments.list();
  }

  @Get('sizes')
  @ApiOperation({ summary: 'Segment sizes over time (size at the end of each bucket)' })
  @ApiQuery({ name: 'from', required: false, description: 'ISO-8601 or epoch ms (default: to - 30 days)' })
  @ApiQuery({ name: 'to', required: false, description: 'ISO-8601 or epoch ms (default: now)' })
  @ApiQuery({ name: 'bucket', required: false, enum: ['hour', 'day', 'week', 'month'] })
  async sizes(@Query(ZodPipe(sizesSchema)) q: SizesQuery) {
    const series = await this.segments.sizesOverTime(q.from.getTime(), q.to.getTime(), { unit: q.bucket });
    return { from: q.from.toISOString(), to: q.to.toISOString(), bucket: q.bucket, series };
  }

  @Get(':segmentId')
  @ApiOperation({ summary: 'One segment profile of the active model' })
  @ApiParam({ name: 'segmentId', type: Number })
  get(@Param('segmentId', ZodPipe(segmentIdSchema, 'segmentId')) segmentId: number) {
    return this.segments.get(segmentId);
  }
}
