import { z } from 'zod';
import { instantSchema } from './request.schemas';

/**
 * The Grafana JSON datasource contract (simpod-json-datasource, compatible with the older SimpleJSON plugin):
 * request bodies exactly as the plugins send them. Unknown keys (app, requestId, scopedVars, ...) are accepted.
 */
const payloadSchema = z
  .union([z.record(z.string(), z.unknown()), z.string(), z.null()])
  .optional()
  .transform((p, ctx): Record<string, unknown> => {
    if (p === undefined || p === null || p === '') return {};
    if (typeof p !== 'string') return p;
    try {
      const parsed: unknown = JSON.parse(p);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object' });
    return z.NEVER;
  });

export const grafanaRangeSchema = z.object({ from: instantSchema, to: instantSchema }).loose();

export const grafanaTargetSchema = z
  .object({
    refId: z.string().default('A'),
    target: z.string().optional(),
    type: z.enum(['timeserie', 'timeseries', 'table']).optional(),
    payload: payloadSchema,
    hide: z.boolean().optional(),
  })
  .loose();

export const grafanaQuerySchema = z
  .object({
    range: grafanaRangeSchema,
    intervalMs: z.number().int().positive().optional(),
    maxDataPoints: z.number().int().positive().optional(),
    targets: z.array(grafanaTargetSchema).max(50),
    adhocFilters: z
      .array(z.object({ key: z.string(), operator: z.string(), value: z.string() }).loose())
      .optional(),
  })
  .loose();
export type GrafanaQuery = z.infer<typeof grafanaQuerySchema>;
export type GrafanaTarget = z.infer<typeof grafanaTargetSchema>;

export const grafanaSearchSchema = z.object({ target: z.string().optional(), type: z.string().optional() }).loose();

export const grafanaAnnotationsSchema = z
  .object({
    range: grafanaRangeSchema,
    annotation: z
      .object({ name: z.string().optional(), query: z.string().optional(), enable: z.boolean().optional() })
      .loose()
      .optional(),
  })
  .loose();

export const grafanaTagValuesSchema = z.object({ key: z.string().min(1) }).loose();

export type GrafanaTimeSerie = { target: string; datapoints: [number, number][] };
export type GrafanaTable = {
  type: 'table';
  columns: { text: string; type: 'time' | 'string' | 'number' }[];
  rows: (string | number | null)[][];
};
export type GrafanaAnnotation = {
  annotation?: unknown;
  time: number;
  timeEnd?: number;
  title: string;
  text: string;
  tags: string[];
};
