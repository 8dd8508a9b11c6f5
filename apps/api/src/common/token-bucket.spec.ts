import { TokenBuckets } from './token-bucket';

describe('TokenBuckets', () => {
  it('allows a burst, refuses the next request with the wait, and refills over time', () => {
    let t = 0;
    const buckets = new TokenBuckets(2, 3, 100, () => t);
    expect([buckets.take('a'), buckets.take('a'), buckets.take('a')]).toEqual([0, 0, 0]);
    expect(buckets.take('a')).toBe(1);
    expect(buckets.take('b')).toBe(0); // another client has its own bucket
    t += 500; // one token at 2/s
    expect(buckets.take('a')).toBe(0);
    expect(buckets.take('a')).toBeGreaterThanOrEqual(1);
  });

  it('reports a multi-second wait at slow rates and is disabled at rate 0', () => {
    let t = 0;
    const slow = new TokenBuckets(0.1, 1, 100, () => t);
    expect(slow.take('x')).toBe(0);
    expect(slow.take('x')).toBe(10);
    t += 10_000;
    expect(slow.take('x')).toBe(0);
    const off = new TokenBuckets(0, 1);
    for (let i = 0; i < 100; i++) expect(off.take('x')).toBe(0);
  });
});
