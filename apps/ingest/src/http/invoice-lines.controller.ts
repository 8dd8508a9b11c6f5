import { Body, Controller, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import { BatchAccepted, InvoiceLinesService } from './invoice-lines.service';

@ApiTags('ingest')
@Controller('v1/invoice-lines')
export class InvoiceLinesController {
  constructor(private readonly service: InvoiceLinesService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({
    summary: 'Publish a batch of invoice-line/v1 events',
    description:
      'A JSON array (application/json) or one JSON object per line (application/x-ndjson). Rows are numbered from 1 ' +
      '(NDJSON: the line number). Each row needs eventId (idempotency key), invoiceNo, stockCode, quantity (non-zero ' +
      'integer), invoiceTime (ISO-8601; no zone = UTC), unitPrice, country; customerId and description may be null.',
  })
  @ApiConsumes('application/json', 'application/x-ndjson')
  @ApiBody({ schema: { type: 'array', items: { type: 'object' } } })
  @ApiQuery({ name: 'partial', required: false, description: 'true: accept the valid rows and dead-letter the invalid ones' })
  @ApiResponse({ status: 202, description: '{ accepted, deadLettered, errors }' })
  @ApiResponse({ status: 400, description: '{ errors: [{ row, field, reason }] } — nothing was accepted' })
  @ApiResponse({ status: 413, description: 'body or row count over the limit' })
  ingest(@Body() body: unknown, @Query('partial') partial?: string): Promise<BatchAccepted> {
    return this.service.ingestBatch(body, { partial: partial === 'true' || partial === '1' });
  }
}
