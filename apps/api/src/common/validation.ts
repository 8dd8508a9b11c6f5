import { BadRequestException, Inject, Injectable, mixin, type PipeTransform, type Type } from '@nestjs/common';
import type { z } from 'zod';
import type { RequestLimits } from '@insiders/api-contracts';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';

export interface FieldIssue {
  field: string;
  message: string;
}

/** 400 whose message names the offending field(s): `limit: must be <= 500`. */
export class ValidationFailed extends BadRequestException {
  constructor(readonly issues: FieldIssue[]) {
    super({
      statusCode: 400,
      error: 'Bad Request',
      message: issues.map((i) => `${i.field}: ${i.message}`).join('; '),
      fields: issues,
    });
  }
}

export function issuesOf(error: z.ZodError, root?: string): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return { field: path || root || '(body)', message: issue.message };
  });
}

export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, root?: string): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw new ValidationFailed(issuesOf(result.error, root));
}

export function limitsOf(config: ApiConfig): RequestLimits {
  return {
    pageSizeDefault: Math.min(config.PAGE_SIZE_DEFAULT, config.PAGE_SIZE_MAX),
    pageSizeMax: config.PAGE_SIZE_MAX,
    maxRangeDays: config.MAX_RANGE_DAYS,
  };
}

/**
 * A pipe validating a parameter with a zod schema built from the deployment's limits:
 *   list(@Query(ZodPipe((l) => insidersListSchema(l))) query: InsidersListQuery)
 * `root` names the parameter when the whole value is invalid (e.g. a path parameter `id`).
 */
export function ZodPipe(build: (limits: RequestLimits) => z.ZodType, root?: string): Type<PipeTransform> {
  @Injectable()
  class ZodValidationPipe implements PipeTransform {
    private readonly schema: z.ZodType;
    constructor(@Inject(API_CONFIG) config: ApiConfig) {
      this.schema = build(limitsOf(config));
    }
    transform(value: unknown): unknown {
      return parseOrThrow(this.schema, value, root);
    }
  }
  return mixin(ZodValidationPipe);
}
