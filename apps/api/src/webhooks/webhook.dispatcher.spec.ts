import { backoffMs, isRetriable } from './webhook.dispatcher';

describe('webhook retry policy', () => {
  it('backs off exponentially with bounded jitter', () => {
    expect([1, 2, 3, 4].map((a) => backoffMs(500, a, () => 0))).toEqual([500, 1000, 2000, 4000]);
    expect(backoffMs(500, 3, () => 1)).toBe(2200);
  });

  it('retries transport errors, 408, 429 and 5xx but not other client errors', () => {
    expect([0, 408, 429, 500, 503].every(isRetriable)).toBe(true);
    expect([400, 401, 404, 410].some(isRetriable)).toBe(false);
  });
});
