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

describe('MembershipWriteLock background writes', () => {
  it('later holders wait for background writes, a pipelined one does not; writes run in queue order', async () => {
    const lock = new MembershipWriteLock();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const w1 = lock.inBackground(async () => {
      await gate;
      log.push('write 1');
    });
    const w2 = lock.inBackground(async () => void log.push('write 2'));
    await lock.run(async () => void log.push('pipelined pass'), { pipelined: true });
    const refit = lock.run(async () => void log.push('refit'));
    await Promise.resolve();
    expect(log).toEqual(['pipelined pass']);
    release();
    await Promise.all([w1, w2, refit]);
    expect(log).toEqual(['pipelined pass', 'write 1', 'write 2', 'refit']);
  });

  it('a failed background write stops the writes queued after it and fails later holders', async () => {
    const lock = new MembershipWriteLock();
    const log: string[] = [];
    const w1 = lock.inBackground(async () => {
      throw new Error('disk full');
    });
    const w2 = lock.inBackground(async () => void log.push('write 2'));
    await expect(w1).rejects.toThrow('disk full');
    await expect(w2).rejects.toThrow('an earlier background write failed');
    await expect(lock.run(async () => log.push('refit'))).rejects.toThrow('background membership write failed');
    expect(log).toEqual([]);
  });
});
