import { MembershipWriteLock } from './membership-write.lock';

describe('MembershipWriteLock', () => {
  it('runs critical sections one at a time, in call order, also after a failure', async () => {
    const lock = new MembershipWriteLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const a = lock.run(async () => {
      log.push('a start');
      await gate;
      log.push('a end');
    });
    const b = lock.run(async () => {
      log.push('b');
      throw new Error('b failed');
    });
    const c = lock.run(async () => log.push('c'));
    await Promise.resolve();
    expect(log).toEqual(['a start']);
    release();
    await a;
    await expect(b).rejects.toThrow('b failed');
    await c;
    expect(log).toEqual(['a start', 'a end', 'b', 'c']);
  });
});
