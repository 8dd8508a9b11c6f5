import { Body, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBody, ApiOperation } from '@nestjs/swagger';
import { z } from 'zod';
import {
  grafanaAnnotationsSchema,
  grafanaQuerySchema,
  grafanaSearchSchema,
  grafanaTagValuesSchema,
  type GrafanaQuery,
} from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { GrafanaService } from './grafana.service';

const variableSchema = () => z.object({ payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional() }).loose();

/**
 * Grafana JSON datasource endpoints (simpod-json-datasource and the older SimpleJSON): point the datasource URL at
 * `<api>/grafana`. POST bodies are exactly what the plugins send; unknown keys are ignored.
 */
@ApiController('grafana', 'grafana')
export class GrafanaController {
  constructor(private readonly grafana: GrafanaService) {}

  @Get()
  @ApiOperation({ summary: 'Datasource connection test (200)' })
  ping() {
    return { status: 'ok', datasource: 'insiders' };
  }

  @Post('search')
  @HttpCode(200)
  @ApiOperation({ summary: 'SimpleJSON: metric names' })
  @ApiBody({ schema: z.toJSONSchema(grafanaSearchSchema, { io: 'input' }) as object })
  search(@Body(ZodPipe(() => grafanaSearchSchema)) _body: unknown) {
    return this.grafana.search();
  }

  @Post('metrics')
  @HttpCode(200)
  @ApiOperation({ summary: 'JSON datasource (builder mode): metrics with their payload options' })
  metrics() {
    return this.grafana.metrics();
  }

  @Post('metric-payload-options')
  @HttpCode(200)
  @ApiOperation({ summary: 'JSON datasource: options of the `segments` payload' })
  metricPayloadOptions() {
    return this.grafana.segmentOptions();
  }

  @Post('variable')
  @HttpCode(200)
  @ApiOperation({ summary: 'JSON datasource: values of a query variable (payload.target: segments | metrics)' })
  variable(@Body(ZodPipe(variableSchema)) body: z.infer<ReturnType<typeof variableSchema>>) {
    const payload = typeof body.payload === 'string' ? { target: body.payload } : (body.payload ?? {});
    return this.grafana.variable(payload);
  }

  @Post('query')
  @HttpCode(200)
  @ApiOperation({ summary: 'Time series ([{target, datapoints: [[value, tsMs]]}]) and tables for the requested targets' })
  @ApiBody({ schema: z.toJSONSchema(grafanaQuerySchema, { io: 'input', unrepresentable: 'any' }) as object })
  query(@Body(ZodPipe(() => grafanaQuerySchema)) body: GrafanaQuery) {
    return this.grafana.query(body);
  }

  @Post('annotations')
  @HttpCode(200)
  @ApiOperation({ summary: 'Refit annotations in the range' })
  annotations(@Body(ZodPipe(() => grafanaAnnotationsSchema)) body: z.infer<typeof grafanaAnnotationsSchema>) {
    return this.grafana.annotations(body.range.from.getTime(), body.range.to.getTime(), body.annotation);
  }

  @Post('tag-keys')
  @HttpCode(200)
  tagKeys() {
    return this.grafana.tagKeys();
  }

  @Post('tag-values')
  @HttpCode(200)
  tagValues(@Body(ZodPipe(() => grafanaTagValuesSchema)) body: z.infer<typeof grafanaTagValuesSchema>) {
    return this.grafana.tagValues(body.key);
  }
}
