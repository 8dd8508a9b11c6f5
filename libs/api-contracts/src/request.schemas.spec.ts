import { instantSchema, insidersListSchema, timeRangeSchema } from './request.schemas';
import { grafanaQuerySchema } from './grafana.schemas';

const limits = { pageSizeDefault: 50, pageSizeMax: 500, maxRangeDays: 366 };

describe('request schemas', () => {
  it('reads ISO times and epoch milliseconds, and names bad ones', () => {
    expect(instantSchema.parse('2011-06-01T00:00:00Z').toISOString()).toBe('2011-06-01T00:00:00.000Z');
    expect(instantSchema.parse('1306886400000').toISOString()).toBe('2011-06-01T00:00:00.000Z');
    expect(instantSchema.parse(1306886400000).toISOString()).toBe('2011-06-01T00:00:00.000Z');
    expect(instantSchema.safeParse('soon').error?.issues[0]?.message).toContain('expected an ISO-8601 time');
  });

  it('bounds time ranges and reports the field', () => {
    const schema = timeRangeSchema(limits, {});
    expect(schema.safeParse({ from: '2011-01-01', to: '2010-01-01' }).error?.issues[0]).toMatchObject({ path: ['from'], message: 'must be before to' });
    expect(schema.safeParse({ from: '2009-01-01', to: '2011-01-01' }).error?.issues[0]?.message).toBe('range must span at most 366 days');
    const def = schema.parse({ to: '2011-02-01T00:00:00Z' });
    expect(def.from.toISOString()).toBe('2011-01-02T00:00:00.000Z');
  });

  it('coerces and bounds list queries', () => {
    const schema = insidersListSchema(limits);
    expect(schema.parse({})).toMatchObject({ limit: 50, offset: 0, sort: 'revenue', order: 'desc' });
    expect(schema.parse({ limit: '10', minRevenue: '12.5' })).toMatchObject({ limit: 10, minRevenue: 12.5 });
    expect(schema.safeParse({ limit: '501' }).error?.issues[0]).toMatchObject({ path: ['limit'], message: 'must be <= 500' });
  });

  it('accepts Grafana payloads as objects, JSON strings or empty strings', () => {
    const body = (payload: unknown) => ({ range: { from: '2011-01-01T00:00:00Z', to: '2011-02-01T00:00:00Z' }, targets: [{ refId: 'A', target: 'x', payload }] });
    expect(grafanaQuerySchema.parse(body('')).targets[0]!.payload).toEqual({});
    expect(grafanaQuerySchema.parse(body('{"segments":["1"]}')).targets[0]!.payload).toEqual({ segments: ['1'] });
    expect(grafanaQuerySchema.parse(body({ a: 1 })).targets[0]!.payload).toEqual({ a: 1 });
    expect(grafanaQuerySchema.safeParse(body('[1]')).error?.issues[0]).toMatchObject({ path: ['targets', 0, 'payload'] });
  });
});
