import { z } from 'zod';

/**
 * Request schemas shared by the API and its clients. Bounds that are configurable (page size, range length) are
 * passed in, so the same schema documents and enforces the deployment's limits. Query strings arrive as strings
 * and are coerced here; every failure names its field (zod issue path).
 */
export interface RequestLimits {
  pageSizeDefault: number;
  pageSizeMax: number;
  maxRangeDays: number;
}

const DAY_MS = 86_400_000;

export const customerIdSchema = z
  .string()
  .min(1, 'must not be empty')
  .max(64, 'must be at most 64 characters')
  .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain only letters, digits and _ . : -');

/** ISO-8601 instant, date, or milliseconds since the epoch. */
export const instantSchema = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const ms = typeof v === 'number' || /^\d{12,13}$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: `expected an ISO-8601 time or epoch milliseconds, got "${v}"` });
    return z.NEVER;
  }
  return new Date(ms);
});

export function paginationShape(limits: RequestLimits) {
  return {
    limit: z.coerce
      .number()
      .int('must be an integer')
      .min(1, 'must be >= 1')
      .max(limits.pageSizeMax, `must be <= ${limits.pageSizeMax}`)
      .default(limits.pageSizeDefault),
    offset: z.coerce.number().int('must be an integer').min(0, 'must be >= 0').max(10_000_000).default(0),
  };
}

/** A time range [from, to) no longer than `maxRangeDays`; `to` defaults to now, `from` to 30 days before `to`. */
export function timeRangeSchema<T extends z.ZodRawShape>(limits: RequestLimits, extra: T) {
  const base = z.object({ from: instantSchema.optional(), to: instantSchema.optional(), ...extra });
  type Out = Omit<z.infer<typeof base>, 'from' | 'to'> & { from: Date; to: Date };
  return base.transform((v, ctx): Out => {
    const given = v as unknown as { from?: Date; to?: Date };
    const to = given.to ?? new Date();
    const from = given.from ?? new Date(to.getTime() - 30 * DAY_MS);
    if (from.getTime() >= to.getTime()) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'must be before to' });
      return z.NEVER;
    }
    if (to.getTime() - from.getTime() > limits.maxRangeDays * DAY_MS) {
      ctx.addIssue({ code: 'custom', path: ['from'], message: `range must span at most ${limits.maxRangeDays} days` });
      return z.NEVER;
    }
    return { ...(v as object), from, to } as Out;
  });
}

export const bucketSchema = z.enum(['hour', 'day', 'week', 'month']);
export type Bucket = z.infer<typeof bucketSchema>;

export function insidersListSchema(limits: RequestLimits) {
  return z.object({
    ...paginationShape(limits),
    country: z.string().min(1).max(64).optional(),
    segmentId: z.coerce.number().int().min(0).max(65_535).optional(),
    minRevenue: z.coerce.number().min(0).optional(),
    minConfidence: z.coerce.number().min(0).max(1).optional(),
    q: z.string().min(1).max(64).optional(),
    sort: z.enum(['revenue', 'recency', 'frequency', 'customerId', 'confidence']).default('revenue'),
    order: z.enum(['asc', 'desc']).default('desc'),
  });
}
export type InsidersListQuery = z.infer<ReturnType<typeof insidersListSchema>>;

export function historyQuerySchema(limits: RequestLimits) {
  return z.object({ ...paginationShape(limits) });
}

export const webhookRegistrationSchema = z.object({
  url: z
    .string()
    .url('must be an absolute URL')
    .refine((u) => /^https?:\/\//.test(u), 'must be http or https'),
  /** Which changes to send: every change, or only Insiders entered/exited. */
  filter: z.enum(['all', 'insiders']).default('all'),
  description: z.string().max(200).default(''),
  /** Optional caller-chosen secret (>= 16 chars); generated when absent. Returned once. */
  secret: z.string().min(16, 'must be at least 16 characters').max(128).optional(),
});
export type WebhookRegistration = z.infer<typeof webhookRegistrationSchema>;

export const refitRequestSchema = z.object({ reason: z.string().min(1).max(200).default('manual') });
export const replayRequestSchema = z.object({
  file: z.string().min(1).max(200).regex(/^[A-Za-z0-9_.-]+$/, 'must be a bare file name').optional(),
  limit: z.coerce.number().int().min(1).optional(),
});
