import { applyDecorators, Controller, UseFilters, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiTags } from '@nestjs/swagger';
import { ApiExceptionFilter } from './api-exception.filter';
import { ApiKeyGuard, RateLimitGuard } from './security.guards';

/**
 * A controller of the API: rate limit, API-key check and the API's error format, scoped to the API's own routes
 * (other apps composed into the same process keep their own policies). Endpoints are `read` unless marked
 * `@Admin()` or `@Public()`.
 */
export function ApiController(path: string, tag: string): ClassDecorator {
  return applyDecorators(
    Controller(path),
    UseGuards(RateLimitGuard, ApiKeyGuard),
    UseFilters(ApiExceptionFilter),
    ApiTags(tag),
    ApiHeader({ name: 'X-API-Key', required: false, description: 'API key (admin endpoints; read endpoints when configured)' }),
  );
}
