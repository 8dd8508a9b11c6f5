import { TtlCache } from './ttl-cache';

describe('TtlCache', () => {
  it('serves a value until it expires and shares concurrent loads', async () => {
    let t = 0;
    let loads = 0;
    const cache = new TtlCache<number>(100, 10, () => t);
    const load = async () => ++loads;
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    t = 99;
    expect(await cache.get('a', load)).toBe(1);
    t = 100;
    expect(await cache.get('a', load)).toBe(2);
  });

  it('does not cache failures, evicts the oldest when full and is a pass-through at ttl 0', async () => {
    const cache = new TtlCache<string>(1_000, 2);
    await expect(cache.get('x', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    await Promise.resolve();
    expect(await cache.get('x', async () => 'up')).toBe('up');
    await cache.get('y', async () => 'y');
    await cache.get('z', async () => 'z');
    expect(await cache.get('x', async () => 'reloaded')).toBe('reloaded');
    let n = 0;
    const off = new TtlCache<number>(0, 10);
    await off.get('k', async () => ++n);
    expect(await off.get('k', async () => ++n)).toBe(2);
  });
});
