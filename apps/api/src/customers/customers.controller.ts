import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import type { z } from 'zod';
import { customerIdSchema, historyQuerySchema } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { CustomersService } from './customers.service';

type HistoryQuery = z.infer<ReturnType<typeof historyQuerySchema>>;

@ApiController('v1/customers', 'customers')
export class CustomersController {
  constructor(private readonly customers: CustomersService) {}

  @Get(':customerId')
  @ApiOperation({ summary: 'A customer: features, current segment, Insider yes/no with the explanation, RFM baseline' })
  @ApiParam({ name: 'customerId', type: String })
  get(@Param('customerId', ZodPipe(() => customerIdSchema, 'customerId')) customerId: string) {
    return this.customers.get(customerId);
  }

  @Get(':customerId/explanation')
  @ApiOperation({ summary: "Why the customer is (not) an Insider, in full (the clusterer's explanation with nearest neighbours when bound)" })
  @ApiParam({ name: 'customerId', type: String })
  explanation(@Param('customerId', ZodPipe(() => customerIdSchema, 'customerId')) customerId: string) {
    return this.customers.explanation(customerId);
  }

  @Get(':customerId/history')
  @ApiOperation({ summary: "A customer's membership history (every assignment change), newest first" })
  @ApiParam({ name: 'customerId', type: String })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  history(
    @Param('customerId', ZodPipe(() => customerIdSchema, 'customerId')) customerId: string,
    @Query(ZodPipe(historyQuerySchema)) q: HistoryQuery,
  ) {
    return this.customers.history(customerId, q.limit, q.offset);
  }
}
