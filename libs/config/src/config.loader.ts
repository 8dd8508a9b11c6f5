import { z } from 'zod';

/** Thrown at start-up when an environment variable is missing or malformed; names every offending variable. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`Invalid configuration: ${problems.map((p) => `${p.variable}: ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Parses `env` (usually `process.env`) with a zod object schema whose keys are the variable names.
 * Parsed once at boot; the typed result is what the app injects everywhere else.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({ variable: String(issue.path[0] ?? '?'), message: issue.message })),
  );
}

/** Env helpers: every value arrives as a string (or undefined) and is coerced here with a clear message. */
export const env = {
  int: (def: number, opts: { min?: number; max?: number } = {}) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return def;
        const n = Number(v);
        if (!Number.isInteger(n)) {
          ctx.addIssue({ code: 'custom', message: `expected an integer, got "${v}"` });
          return z.NEVER;
        }
        if (opts.min !== undefined && n < opts.min) {
          ctx.addIssue({ code: 'custom', message: `must be >= ${opts.min}, got ${n}` });
          return z.NEVER;
        }
        if (opts.max !== undefined && n > opts.max) {
          ctx.addIssue({ code: 'custom', message: `must be <= ${opts.max}, got ${n}` });
          return z.NEVER;
        }
        return n;
      }),
  number: (def: number) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return def;
        const n = Number(v);
        if (!Number.isFinite(n)) {
          ctx.addIssue({ code: 'custom', message: `expected a number, got "${v}"` });
          return z.NEVER;
        }
        return n;
      }),
  string: (def: string) =>
    z
      .string()
      .optional()
      .transform((v) => (v === undefined || v === '' ? def : v)),
  optionalString: () =>
    z
      .string()
      .optional()
      .transform((v) => (v === undefined || v === '' ? undefined : v)),
  bool: (def: boolean) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return def;
        if (['1', 'true', 'yes', 'on'].includes(v.toLowerCase())) return true;
        if (['0', 'false', 'no', 'off'].includes(v.toLowerCase())) return false;
        ctx.addIssue({ code: 'custom', message: `expected true/false, got "${v}"` });
        return z.NEVER;
      }),
  list: (def: string[]) =>
    z
      .string()
      .optional()
      .transform((v) =>
        v === undefined || v === ''
          ? def
          : v
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean),
      ),
  oneOf: <T extends string>(values: readonly [T, ...T[]], def: T) =>
    z
      .string()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === '') return def;
        if ((values as readonly string[]).includes(v)) return v as T;
        ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got "${v}"` });
        return z.NEVER;
      }),
};
