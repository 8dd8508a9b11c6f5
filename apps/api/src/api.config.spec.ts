import { loadApiConfig } from './api.config';

describe('loadApiConfig', () => {
  it('has safe defaults', () => {
    const c = loadApiConfig({});
    expect(c).toMatchObject({ PORT: 3000, API_KEYS: [], API_READ_REQUIRES_KEY: false, RATE_LIMIT_PER_SECOND: 50, PAGE_SIZE_MAX: 500, FEATURE_POLICY: 'seed-ian', DOCS_ENABLED: true });
  });

  it('parses lists and names every bad variable', () => {
    expect(loadApiConfig({ API_KEYS: 'a, b', CORS_ORIGINS: '*' })).toMatchObject({ API_KEYS: ['a', 'b'], CORS_ORIGINS: ['*'] });
    expect(() => loadApiConfig({ PORT: 'x', FEATURE_POLICY: 'nope', WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(
      /PORT: expected an integer.*FEATURE_POLICY: expected one of seed-ian, strict, raw.*WEBHOOK_MAX_ATTEMPTS: must be >= 1/,
    );
  });
});
