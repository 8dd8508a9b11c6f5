import { Get, Header, Query } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { insidersListSchema, paginationShape, timeRangeSchema, type InsidersListQuery, type RequestLimits } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { InsidersService } from './insiders.service';

const transitionsSchema = (l: RequestLimits) =>
  timeRangeSchema(l, { direction: z.enum(['entered', 'exited', 'both']).default('both'), ...paginationShape(l) });
type TransitionsQuery = z.infer<ReturnType<typeof transitionsSchema>>;

const LIST_QUERY_DOCS = [
  { name: 'limit', type: Number },
  { name: 'offset', type: Number },
  { name: 'country', type: String },
  { name: 'segmentId', type: Number },
  { name: 'minRevenue', type: Number },
  { name: 'minConfidence', type: Number },
  { name: 'q', type: String, description: 'customer id prefix' },
  { name: 'sort', enum: ['revenue', 'recency', 'frequency', 'customerId', 'confidence'] },
  { name: 'order', enum: ['asc', 'desc'] },
];
const ListQueryDocs = (): MethodDecorator => (target, key, descriptor) => {
  for (const q of LIST_QUERY_DOCS) ApiQuery({ required: false, ...q } as Parameters<typeof ApiQuery>[0])(target, key, descriptor);
};

@ApiController('v1/insiders', 'insiders')
export class InsidersController {
  constructor(private readonly insiders: InsidersService) {}

  @Get()
  @ApiOperation({ summary: 'Current Insiders with their features (paginated, filterable, sortable)' })
  @ListQueryDocs()
  list(@Query(ZodPipe(insidersListSchema)) q: InsidersListQuery) {
    return this.insiders.list(q);
  }

  @Get('export.csv')
  @ApiOperation({ summary: 'The Insiders list as CSV (same filters, every page up to CSV_EXPORT_MAX_ROWS)' })
  @ApiProduces('text/csv')
  @Header('Content-Type', 'text/csv; charset=utf-8')
  @Header('Content-Disposition', 'attachment; filename="insiders.csv"')
  @ListQueryDocs()
  exportCsv(@Query(ZodPipe(insidersListSchema)) q: InsidersListQuery) {
    return this.insiders.exportCsv(q);
  }

  @Get('transitions')
  @ApiOperation({ summary: 'Customers who entered / exited the Insiders in [from, to), with totals' })
  @ApiQuery({ name: 'from', required: false })
  @ApiQuery({ name: 'to', required: false })
  @ApiQuery({ name: 'direction', required: false, enum: ['entered', 'exited', 'both'] })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  transitions(@Query(ZodPipe(transitionsSchema)) q: TransitionsQuery) {
    return this.insiders.transitions(q.from.getTime(), q.to.getTime(), q.direction, q.limit, q.offset);
  }
}
