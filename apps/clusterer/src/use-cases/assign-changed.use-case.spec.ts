import type { SegmentChangeEvent } from '@insiders/events';
import type { CustomerFeatures } from '@insiders/features-core';
import { DEFAULT_INSIDERS_RULE } from '@insiders/segments';
import { expectEventually } from '@insiders/testing';
import { loadClustererConfig } from '../clusterer.config';
import type { ChangedCustomer, ClustererRepository, HistoryRow, MembershipRow } from '../clusterer.repository';
import { FeedCursor } from '../domain/feed-cursor';
import { customerFeatures } from '../testing/customer-features.fixture';
import { MembershipWriteLock } from '../domain/membership-write.lock';
import type { ActiveModelCache, LoadedModel } from '../model/active-model.cache';
import type { ModelBundle } from '../model/model-bundle';
import type { SegmentChangePublisher } from '../segment-change.publisher';
import { AssignChangedCustomersUseCase } from './assign-changed.use-case';

/** A customer whose only distinguishing feature is recency: the fake model puts recency > 30 days in segment 2. */
const customer = (customerId: string, recencyDays: number): CustomerFeatures => customerFeatures({ customerId, recencyDays });

const model: LoadedModel = {
  row: { version: 3 } as LoadedModel['row'],
  bundle: {
    version: 3,
    featureSet: 'seed',
    clusterToSegment: [1, 2],
    segments: [
      { id: 1, name: 'Recent', isInsiders: false },
      { id: 2, name: 'Lapsed', isInsiders: false },
    ],
    insidersRule: DEFAULT_INSIDERS_RULE,
  } as unknown as ModelBundle,
  handle: {
    // column 0 of the seed inputs is recency (signed log): cluster 1 (segment 2) beyond 30 days
    assign: (m: { rows: number; cols: number; data: Float64Array }) => ({
      labels: Array.from({ length: m.rows }, (_, i) => (m.data[i * m.cols]! > Math.log1p(30) ? 1 : 0)),
      confidence: new Array<number>(m.rows).fill(1),
      map: new Array<number>(m.rows * 2).fill(0),
    }),
  } as unknown as LoadedModel['handle'],
};

/** The clusterer's storage in memory, with switchable failures (a "crash" at one write). */
class FakeStore {
  feed = new Map<string, string>();
  features = new Map<string, CustomerFeatures>();
  memberships = new Map<string, MembershipRow>();
  history: HistoryRow[] = [];
  state = new Map<string, string>();
  failNext: 'history' | 'memberships' | null = null;
  /** The process is killed when it reaches this write: the write never completes. */
  killAt: 'history' | 'memberships' | null = null;
  /** Insert statements per table (how many stores). */
  inserts = { history: 0, memberships: 0 };
  /** Set when a write met `killAt`. */
  killed_ = false;
  /** While set, membership writes wait for it (a slow store). */
  membershipsGate: Promise<void> | null = null;

  repository(): ClustererRepository {
    return {
      feedHead: async () => [...this.feed.values()].sort().pop() ?? null,
      changedSince: async (_policy: unknown, since: string, limit: number): Promise<ChangedCustomer[]> =>
        [...this.feed]
          .filter(([, at]) => at > since)
          .sort(([ka, a], [kb, b]) => (a === b ? (ka < kb ? -1 : 1) : a < b ? -1 : 1))
          .slice(0, limit)
          .map(([key, changedAt]) => ({ key, changedAt, customerId: key })),
      readCurrentFeatures: async () => null, // an older features service: no running states
      readFeatures: async (_policy: unknown, o: { customerIds: string[] }) => o.customerIds.flatMap((id) => (this.features.has(id) ? [this.features.get(id)!] : [])),
      currentMemberships: async (ids: string[]) =>
        new Map(ids.flatMap((id) => (this.memberships.has(id) ? [[id, { segmentId: this.memberships.get(id)!.segment_id, isInsider: false, modelVersion: 3 }] as const] : []))),
      writeHistory: async (rows: HistoryRow[]) => {
        if (this.killAt === 'history') return this.killed();
        if (this.failNext === 'history') throw this.crash();
        this.inserts.history++;
        this.history.push(...rows);
      },
      writeMemberships: async (rows: MembershipRow[]) => {
        await this.membershipsGate;
        if (this.killAt === 'memberships') return this.killed();
        if (this.failNext === 'memberships') throw this.crash();
        this.inserts.memberships++;
        for (const r of rows) this.memberships.set(r.customer_id, r);
      },
      existingHistory: async (version: number, reason: string, rows: { customerId: string; at: string }[]) =>
        new Set(
          this.history
            .filter((h) => h.model_version === version && h.reason === reason && rows.some((r) => r.customerId === h.customer_id && r.at === h.at))
            .map((h) => `${h.customer_id}|${h.at}`),
        ),
      getState: async (key: string) => this.state.get(key) ?? null,
      setState: async (key: string, value: string) => void this.state.set(key, value),
    } as unknown as ClustererRepository;
  }

  private crash(): Error {
    this.failNext = null;
    return new Error('storage hiccup');
  }

  private killed(): Promise<never> {
    this.killAt = null; // the next process writes normally
    this.killed_ = true;
    return new Promise<never>(() => undefined);
  }
}

/** A clusterer process on the store: its own cursor, lock and published events (a restart is a new one). */
function start(store: FakeStore, env: Record<string, string> = {}) {
  const config = loadClustererConfig({ CLUSTERER_SCHEDULER: 'false', CLUSTERER_CURSOR_SAVE_MS: '0', CLUSTERER_STORE_DELAY_MS: '0', ...env });
  const repository = store.repository();
  const published: SegmentChangeEvent[] = [];
  const publisher = { publish: async (events: SegmentChangeEvent[]) => void published.push(...events) } as unknown as SegmentChangePublisher;
  const cache = { get: async () => model } as unknown as ActiveModelCache;
  const lock = new MembershipWriteLock();
  const useCase = new AssignChangedCustomersUseCase(config, repository, cache, publisher, lock, new FeedCursor(repository, config));
  return { useCase, published, lock };
}

const T = (s: string): string => `2026-01-01 00:00:${s}000`;

function storeWithOneLapse(): FakeStore {
  const store = new FakeStore();
  store.features.set('a', customer('a', 5));
  store.features.set('b', customer('b', 90));
  store.feed.set('a', T('01.000'));
  store.feed.set('b', T('01.500'));
  return store;
}

describe('AssignChangedCustomersUseCase', () => {
  it('publishes and records exactly the membership changes, each at its customer’s change time', async () => {
    const store = storeWithOneLapse();
    const p = start(store);
    expect(await p.useCase.execute()).toMatchObject({ customers: 2, changes: 2, feedRows: 2 });
    expect(p.published.map((e) => [e.customerId, e.type, e.to?.id, e.at])).toEqual([
      ['a', 'entered', 1, '2026-01-01T00:00:01.000Z'],
      ['b', 'entered', 2, '2026-01-01T00:00:01.500Z'],
    ]);
    expect(store.history.map((h) => [h.customer_id, h.at, h.to_segment])).toEqual([
      ['a', '2026-01-01 00:00:01.000', 1],
      ['b', '2026-01-01 00:00:01.500', 2],
    ]);

    // a changes without changing segment, b comes back: one `moved` event, one history row
    store.features.set('a', customer('a', 6));
    store.features.set('b', customer('b', 1));
    store.feed.set('a', T('02.000'));
    store.feed.set('b', T('02.000'));
    expect(await p.useCase.execute()).toMatchObject({ customers: 2, changes: 1 });
    expect(p.published.slice(2).map((e) => [e.customerId, e.type, e.from?.id, e.to?.id])).toEqual([['b', 'moved', 2, 1]]);
    expect(store.history).toHaveLength(3);
    expect(await p.useCase.execute()).toMatchObject({ customers: 0, changes: 0, feedRows: 0 });
  });

  it('killed between the history and the memberships write: the restart re-publishes the same events and writes no history twice', async () => {
    const store = storeWithOneLapse();
    const first = start(store);
    store.killAt = 'memberships';
    await first.useCase.executePipelined();
    await expectEventually(() => expect(store.killed_).toBe(true));
    expect(store.history).toHaveLength(2);
    expect(store.memberships.size).toBe(0);

    const second = start(store);
    expect(await second.useCase.execute()).toMatchObject({ customers: 2, changes: 2 });
    expect(second.published.map((e) => e.eventId)).toEqual(first.published.map((e) => e.eventId));
    expect(store.history.map((h) => h.customer_id).sort()).toEqual(['a', 'b']);
    expect(store.memberships.size).toBe(2);
  });

  it('killed after publishing, before the history write: the restart writes the history once', async () => {
    const store = storeWithOneLapse();
    const first = start(store);
    store.killAt = 'history';
    await first.useCase.executePipelined();
    await expectEventually(() => expect(store.killed_).toBe(true));
    expect(first.published).toHaveLength(2);
    expect(store.history).toHaveLength(0);

    const second = start(store);
    await second.useCase.execute();
    expect(store.history.map((h) => h.customer_id).sort()).toEqual(['a', 'b']);
  });

  it('after a restart, a change that arrives later is recorded even when it repeats an earlier membership change', async () => {
    const store = storeWithOneLapse();
    await start(store).useCase.execute();
    const second = start(store);
    store.features.set('b', customer('b', 1));
    store.feed.set('b', T('03.000'));
    await second.useCase.execute();
    store.features.set('b', customer('b', 90));
    store.feed.set('b', T('04.000'));
    await second.useCase.execute();
    expect(store.history.filter((h) => h.customer_id === 'b').map((h) => [h.at, h.from_segment, h.to_segment])).toEqual([
      ['2026-01-01 00:00:01.500', null, 2],
      ['2026-01-01 00:00:03.000', 2, 1],
      ['2026-01-01 00:00:04.000', 1, 2],
    ]);
  });

  it('pipelined: the next pass reads while the previous store runs, and diffs against what that pass decided', async () => {
    const store = storeWithOneLapse();
    const p = start(store);
    let release!: () => void;
    store.membershipsGate = new Promise<void>((r) => (release = r));
    const first = await p.useCase.executePipelined(); // published; its store waits at the gate
    expect(first.changes).toBe(2);
    expect(store.memberships.size).toBe(0);

    store.features.set('b', customer('b', 1));
    store.feed.set('a', T('02.000')); // a again, same segment: no event although its membership is not stored yet
    store.feed.set('b', T('02.000'));
    const second = p.useCase.executePipelined();
    const refit = p.lock.run(async () => [...store.memberships.keys()].sort()); // a refit waits for every store
    await new Promise((r) => setImmediate(r));
    release();
    expect((await second).changes).toBe(1);
    expect(p.published.map((e) => [e.customerId, e.type])).toEqual([
      ['a', 'entered'],
      ['b', 'entered'],
      ['b', 'moved'],
    ]);
    expect(await refit).toEqual(['a', 'b']);
    await p.lock.settled();
    expect(store.memberships.get('b')!.segment_id).toBe(1);
    expect(store.history.map((h) => [h.customer_id, h.to_segment])).toEqual([
      ['a', 1],
      ['b', 2],
      ['b', 1],
    ]);
  });

  it('pipelined: a store that fails is retried, history written once', async () => {
    const store = storeWithOneLapse();
    const p = start(store);
    store.failNext = 'memberships';
    const r = await p.useCase.executePipelined();
    expect(await r.stored).toBeGreaterThan(0); // retried after a backoff, then stored
    expect(store.memberships.size).toBe(2);
    expect(store.history).toHaveLength(2);
  });

  it('pipelined: the passes of the next CLUSTERER_STORE_DELAY_MS are stored together', async () => {
    const store = storeWithOneLapse();
    const p = start(store, { CLUSTERER_STORE_DELAY_MS: '100' });
    const first = await p.useCase.executePipelined();
    store.features.set('c', customer('c', 2));
    store.feed.set('c', T('02.000'));
    const second = await p.useCase.executePipelined();
    await Promise.all([first.stored, second.stored]);
    expect(store.inserts).toEqual({ history: 1, memberships: 1 });
    expect(store.history.map((h) => h.customer_id)).toEqual(['a', 'b', 'c']);
    expect(store.state.size).toBe(1); // the feed position, saved after both
  });
});
