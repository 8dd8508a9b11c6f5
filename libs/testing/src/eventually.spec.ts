import { expectEventually } from './eventually';
import { kafkaBrokersFromEnv } from './kafka';
import { tempChdbDir, uniqueName } from './names';
import { existsSync, readdirSync, rmSync } from 'node:fs';

describe('expectEventually', () => {
  it('returns the value of the first passing attempt', async () => {
    let calls = 0;
    const value = await expectEventually(
      () => {
        calls++;
        if (calls < 3) throw new Error('not yet');
        return calls;
      },
      { intervalMs: 1 },
    );
    expect(value).toBe(3);
  });

  it('throws the last failure with the waited time once the timeout passes', async () => {
    await expect(
      expectEventually(
        async () => {
          throw new Error('never');
        },
        { timeoutMs: 30, intervalMs: 5 },
      ),
    ).rejects.toThrow(/still failing after \d+ ms \(\d+ attempts\): never/);
  });
});

describe('names', () => {
  it('makes distinct names safe for topics and (with _) SQL identifiers', () => {
    const a = uniqueName('My Topic');
    const b = uniqueName('My Topic');
    expect(a).not.toBe(b);
    expect(a).toMatch(/^my-topic-[a-z0-9]+-[0-9a-f]{8}$/);
    expect(uniqueName('db', '_')).toMatch(/^db_[a-z0-9]+_[0-9a-f]{8}$/);
  });

  it('gives an empty temp dir for chDB', () => {
    const dir = tempChdbDir();
    expect(existsSync(dir)).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});

describe('kafkaBrokersFromEnv', () => {
  it('splits the list and explains a missing variable', () => {
    expect(kafkaBrokersFromEnv({ KAFKA_BROKERS: 'a:1, b:2,' })).toEqual(['a:1', 'b:2']);
    expect(() => kafkaBrokersFromEnv({})).toThrow(/KAFKA_BROKERS is not set/);
  });
});
