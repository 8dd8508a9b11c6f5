import { Get, Param, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiQuery } from '@nestjs/swagger';
import { z } from 'zod';
import { paginationShape, type RequestLimits } from '@insiders/api-contracts';
import { ApiController } from '../common/api-controller.decorator';
import { ZodPipe } from '../common/validation';
import { ModelsService } from './models.service';

const pageSchema = (l: RequestLimits) => z.object(paginationShape(l));
type PageQuery = z.infer<ReturnType<typeof pageSchema>>;

@ApiController('v1/models', 'models')
export class ModelsController {
  constructor(private readonly models: ModelsService) {}

  @Get()
  @ApiOperation({ summary: 'Model versions with their metrics (k, silhouette curve, sizes, timings, ARI vs previous, lineage), newest first' })
  @ApiQuery({ name: 'limit', required: false, type: Number })
  @ApiQuery({ name: 'offset', required: false, type: Number })
  list(@Query(ZodPipe(pageSchema)) q: PageQuery) {
    return this.models.list(q.limit, q.offset);
  }

  @Get('active')
  @ApiOperation({ summary: 'The model currently serving' })
  active() {
    return this.models.active();
  }

  @Get(':version')
  @ApiParam({ name: 'version', type: Number })
  get(@Param('version', ZodPipe(() => z.coerce.number().int('must be an integer').min(1).max(4_294_967_295), 'version')) version: number) {
    return this.models.get(version);
  }
}
