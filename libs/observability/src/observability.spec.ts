import { HealthChecks } from './health.check';
import { MetricsRegistry } from './metrics.registry';

describe('MetricsRegistry', () => {
  it('returns the same metric for the same name and renders Prometheus text with the service label', async () => {
    const m = new MetricsRegistry({ service: 'features', defaultMetrics: false });
    m.counter('rows_total', 'rows', ['outcome']).inc({ outcome: 'inserted' }, 3);
    m.counter('rows_total', 'rows', ['outcome']).inc({ outcome: 'inserted' }, 2);
    m.gauge('lag', 'lag').set(7);
    m.histogram('batch', 'batch', [10, 100]).observe(50);
    const text = await m.text();
    expect(text).toContain('rows_total{outcome="inserted",service="features"} 5');
    expect(text).toContain('lag{service="features"} 7');
    expect(text).toContain('batch_bucket{le="100",service="features"} 1');
  });
});

describe('HealthChecks', () => {
  it('reports every probe and fails when one fails or times out', async () => {
    const h = new HealthChecks(50);
    h.register('ok', async () => {});
    expect((await h.run()).status).toBe('ok');
    h.register('down', async () => {
      throw new Error('storage down');
    });
    h.register('slow', () => new Promise<void>((resolve) => setTimeout(resolve, 1_000).unref()));
    const report = await h.run();
    expect(report.status).toBe('error');
    expect(report.checks.down).toMatchObject({ status: 'error', error: 'storage down' });
    expect(report.checks.slow.error).toMatch(/timed out/);
    expect(report.checks.ok.status).toBe('ok');
  });
});
