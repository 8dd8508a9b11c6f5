import type { ChangedCustomer, ClustererRepository } from '../clusterer.repository';
import { FEED_CURSOR_KEY, FeedCursor, minusMs } from './feed-cursor';

const T = (s: string): string => `2026-01-01 00:00:${s}000`; // DateTime64(6) text, `s` = 'SS.mmm'

/** A feed table (key → latest change) read like ClustererRepository.changedSince, and the saved state. */
function setup(options: { graceMs?: number; saveMs?: number } = {}) {
  const table = new Map<string, string>();
  const state = new Map<string, string>();
  const saves: string[] = [];
  const repository = {
    getState: async (key: string) => state.get(key) ?? null,
    setState: async (key: string, value: string) => {
      state.set(key, value);
      saves.push(value);
    },
  } as unknown as ClustererRepository;
  const cursor = new FeedCursor(repository, { CLUSTERER_FEED_GRACE_MS: options.graceMs ?? 2_000, CLUSTERER_CURSOR_SAVE_MS: options.saveMs ?? 0 });
  let now = 0;
  cursor.clock = () => now;
  let reads = 0;
  const read = async (since: string, limit: number): Promise<ChangedCustomer[]> => {
    reads++;
    return [...table]
      .filter(([, at]) => at > since)
      .sort(([ka, a], [kb, b]) => (a === b ? (ka < kb ? -1 : 1) : a < b ? -1 : 1))
      .slice(0, limit)
      .map(([key, changedAt]) => ({ key, changedAt, customerId: key }));
  };
  const change = (key: string, at: string): void => void table.set(key, at);
  /** One pass: the next changes, then (stored) the cursor advances. */
  const pass = async (limit = 100): Promise<string[]> => {
    const rows = await cursor.next(read, limit);
    await cursor.advance(rows);
    return rows.map((r) => r.key);
  };
  return { cursor, state, saves, change, pass, tick: (ms: number) => (now += ms), reads: () => reads };
}

describe('minusMs', () => {
  it('moves a DateTime64(6) text back by milliseconds, floored at the epoch', () => {
    expect(minusMs('2026-01-01 00:00:02.500123', 2_000)).toBe('2026-01-01 00:00:00.500000');
    expect(minusMs('1970-01-01 00:00:00.000000', 2_000)).toBe('1970-01-01 00:00:00.000000');
  });
});

describe('FeedCursor', () => {
  it('hands out every change once, in change-time order', async () => {
    const { change, pass } = setup();
    change('a', T('01.000'));
    change('b', T('01.100'));
    expect(await pass()).toEqual(['a', 'b']);
    expect(await pass()).toEqual([]);
    change('c', T('01.200'));
    change('a', T('01.300')); // a changed again: assigned again
    expect(await pass()).toEqual(['c', 'a']);
  });

  it('still sees a change committed late with an older time stamp inside the grace window', async () => {
    const { change, pass } = setup({ graceMs: 2_000 });
    change('b', T('05.000'));
    expect(await pass()).toEqual(['b']);
    change('a', T('04.000')); // stamped before b, committed after b was assigned
    expect(await pass()).toEqual(['a']);
    expect(await pass()).toEqual([]);
  });

  it('resumes after a read cut by its limit in the middle of one time stamp', async () => {
    const { change, pass } = setup();
    for (const key of ['a', 'b', 'c', 'd', 'e']) change(key, T('01.000'));
    expect(await pass(2)).toEqual(['a', 'b']);
    expect(await pass(2)).toEqual(['c', 'd']);
    expect(await pass(2)).toEqual(['e']);
    expect(await pass(2)).toEqual([]);
  });

  it('saves the cursor at most every CLUSTERER_CURSOR_SAVE_MS, and on flush', async () => {
    const { cursor, change, pass, saves, state, tick } = setup({ saveMs: 1_000 });
    change('a', T('01.000'));
    await pass();
    tick(1_000);
    change('b', T('02.000'));
    await pass();
    expect(saves).toEqual([T('02.000')]);
    tick(10);
    change('c', T('03.000'));
    await pass();
    expect(saves).toEqual([T('02.000')]); // not due yet
    await cursor.flush();
    expect(state.get(FEED_CURSOR_KEY)).toBe(T('03.000'));
  });

  it('a new process starts from the saved cursor minus the window: what it re-reads is assigned again', async () => {
    const first = setup({ saveMs: 0 });
    first.change('a', T('01.000'));
    first.change('b', T('05.000'));
    await first.pass();
    const second = setup();
    for (const [k, v] of first.state) second.state.set(k, v);
    second.change('a', T('01.000'));
    second.change('b', T('05.000'));
    expect(await second.pass()).toEqual(['b']); // within the window of the saved cursor: at-least-once
  });

  it('a rewind re-assigns every change after the head (and, at least once, some inside the window before it)', async () => {
    const { cursor, change, pass } = setup();
    change('a', T('01.000'));
    change('b', T('02.000'));
    change('c', T('03.000'));
    await pass();
    await cursor.rewindTo(T('01.500'));
    expect(await cursor.get()).toBe(T('01.500'));
    const again = await pass();
    expect(again).toEqual(expect.arrayContaining(['b', 'c']));
    expect(await pass()).toEqual([]);
  });

  it('takes announced changes without reading the table, and still reads it every half grace window', async () => {
    const { cursor, change, pass, reads, tick } = setup({ graceMs: 2_000 });
    change('a', T('01.000'));
    expect(await pass()).toEqual(['a']); // nothing announced: the table
    expect(reads()).toBe(1);
    const at = Date.parse('2026-01-01T00:00:02.000Z');
    change('b', T('02.000'));
    cursor.announce(['b'], at);
    tick(100);
    expect(await pass()).toEqual(['b']);
    expect(reads()).toBe(1);
    // another process's change is only in the table: seen at the next table read
    change('c', T('01.800'));
    change('d', T('02.100'));
    cursor.announce(['d'], at + 100);
    expect(await pass()).toEqual(['d']);
    tick(1_000);
    expect(await pass()).toEqual(['c']); // late, but inside the window; b and d are not handed out twice
    expect(reads()).toBe(2);
  });

  it('reads the table for announced anonymous keys (their synthetic ids come from it)', async () => {
    const { cursor, change, pass, reads } = setup();
    change('a', T('01.000'));
    await pass();
    change('invoice:7', T('02.000'));
    cursor.announce(['invoice:7'], Date.parse('2026-01-01T00:00:02.000Z'));
    expect(await pass()).toEqual(['invoice:7']);
    expect(reads()).toBe(2);
  });
});
