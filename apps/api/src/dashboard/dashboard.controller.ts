import { Get, Query } from '@nestjs/common';
import { ApiOperation, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { bucketSchema, timeRangeSchema, type RequestLimits } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { DashboardService } from './dashboard.service';

const mapSchema = () => z.object({ limit: z.coerce.number().int('must be an integer').min(1, 'must be >= 1').max(200_000, 'must be <= 200000').default(6_000) });
const countriesSchema = () => z.object({ limit: z.coerce.number().int('must be an integer').min(1, 'must be >= 1').max(100, 'must be <= 100').default(12) });
const transitionsSchema = (l: RequestLimits) => timeRangeSchema(l, { bucket: bucketSchema.default('day') });
const suggestSchema = () =>
  z.object({
    prefix: z.string().min(1, 'must not be empty').max(64, 'must be at most 64 characters').regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -'),
    limit: z.coerce.number().int('must be an integer').min(1, 'must be >= 1').max(50, 'must be <= 50').default(10),
  });

/** JSON the built-in dashboard reads besides the REST resources (/v1/segments, /v1/customers, /v1/live). */
@ApiController('v1/dashboard', 'dashboard')
export class DashboardController {
  constructor(private readonly dashboard: DashboardService) {}

  @Get('summary')
  @ApiOperation({ summary: 'KPIs: customers, Insiders and their revenue share, active model, segment sizes, history range' })
  summary() {
    return this.dashboard.summary();
  }

  @Get('map')
  @ApiOperation({ summary: '2-D map of the customer embedding: [x, y, segmentId, isInsider, customerId] (an even sample beyond DASHBOARD_MAP_MAX_POINTS)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  map(@Query(ZodPipe(mapSchema)) q: { limit: number }) {
    return this.dashboard.map(q.limit);
  }

  @Get('countries')
  @ApiOperation({ summary: 'Customers, Insiders and revenue by country (country of the latest purchase)' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  countries(@Query(ZodPipe(countriesSchema)) q: { limit: number }) {
    return this.dashboard.countries(q.limit);
  }

  @Get('transitions')
  @ApiOperation({ summary: 'Insiders entered and exited per time bucket (zero-filled)' })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'bucket', required: false, enum: ['hour', 'day', 'week', 'month'] })
  async transitions(@Query(ZodPipe(transitionsSchema)) q: z.infer<ReturnType<typeof transitionsSchema>>) {
    const points = await this.dashboard.transitions(q.from.getTime(), q.to.getTime(), { unit: q.bucket });
    return { from: q.from.toISOString(), to: q.to.toISOString(), bucket: q.bucket, points };
  }

  @Get('customers')
  @ApiOperation({ summary: 'Customer ids starting with a prefix (search suggestions)' })
  @ApiQuery({ name: 'prefix', required: true })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  suggest(@Query(ZodPipe(suggestSchema)) q: z.infer<ReturnType<typeof suggestSchema>>) {
    return this.dashboard.suggest(q.prefix, q.limit);
  }
}
