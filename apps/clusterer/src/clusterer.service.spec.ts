import { expectEventually } from '@insiders/testing';
import { loadClustererConfig } from './clusterer.config';
import { ClustererService } from './clusterer.service';
import type { ClustererRepository, ModelRow, ModelTrigger } from './clusterer.repository';
import type { SegmentChangePublisher } from './segment-change.publisher';
import type { AssignChangedCustomersUseCase } from './use-cases/assign-changed.use-case';
import type { CheckDriftUseCase } from './use-cases/check-drift.use-case';
import type { RecoverUseCase } from './use-cases/recover.use-case';
import type { RefitCommand, RefitUseCase } from './use-cases/refit.use-case';

/** The scheduler's refit decisions, with fakes for storage, fits and time. */
function setup(env: Record<string, string>, state: { active: boolean; feedHead: string | null; changed: number; drift: number }) {
  const config = loadClustererConfig({ CLUSTERER_SCHEDULER: 'false', ...env });
  const triggers: ModelTrigger[] = [];
  const repository = {
    feedHead: async () => state.feedHead,
    activeModel: async () => (state.active ? ({ version: 1, created_at: '2026-01-01 00:00:00.000' } as ModelRow) : null),
    nextModelVersion: async () => 2,
  } as unknown as ClustererRepository;
  const refit = {
    execute: async (c: RefitCommand) => {
      triggers.push(c.trigger);
      return { version: 2, status: 'active' as const };
    },
  } as unknown as RefitUseCase;
  const assign = { execute: async () => ({ customers: state.changed, changes: 0, cursor: null }) } as unknown as AssignChangedCustomersUseCase;
  const drift = { execute: async () => ({ perFeature: [{ name: 'recencyDays', psi: state.drift }], max: state.drift }) } as unknown as CheckDriftUseCase;
  const service = new ClustererService(config, repository, {} as SegmentChangePublisher, {} as RecoverUseCase, refit, assign, drift);
  const tick = async (): Promise<void> => {
    await service.assignChangedNow();
    await (service as unknown as { maybeRefit(): Promise<void> }).maybeRefit();
    await new Promise((r) => setImmediate(r)); // let a background refit finish
  };
  return { service, triggers, tick };
}

describe('ClustererService refit triggers', () => {
  afterEach(() => jest.useRealTimers());

  it('fits an initial model once the changed-customers feed has been quiet for a while', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'], now: 1_000_000 });
    const state = { active: false, feedHead: '2017-01-01 00:00:00.000000', changed: 0, drift: 0 };
    const { triggers, tick } = setup({}, state);
    await tick();
    expect(triggers).toEqual([]); // the feed just moved
    jest.setSystemTime(1_000_000 + 3_500);
    await tick();
    expect(triggers).toEqual(['initial']);
  });

  it('refits after N changed customers, on schedule and on drift — and not otherwise', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'], now: 5_000_000 });
    const state = { active: true, feedHead: null, changed: 40, drift: 0.05 };
    const { triggers, tick } = setup(
      { CLUSTERER_REFIT_AFTER_CHANGED: '100', CLUSTERER_REFIT_INTERVAL_MS: '60000', CLUSTERER_DRIFT_THRESHOLD: '0.25', CLUSTERER_DRIFT_CHECK_MS: '10000' },
      state,
    );
    await tick(); // 40 changed
    await tick(); // 80 changed
    expect(triggers).toEqual([]);
    await tick(); // 120 changed
    expect(triggers).toEqual(['changed-customers']);

    state.changed = 0;
    jest.setSystemTime(5_000_000 + 20_000);
    await tick(); // drift checked, below threshold
    expect(triggers).toEqual(['changed-customers']);
    state.drift = 0.6;
    jest.setSystemTime(5_000_000 + 31_000);
    await tick();
    expect(triggers).toEqual(['changed-customers', 'drift']);

    jest.setSystemTime(5_000_000 + 31_000 + 61_000);
    await tick();
    expect(triggers).toEqual(['changed-customers', 'drift', 'schedule']);
  });

  it('answers the API refit port, refusing a second refit while one runs', async () => {
    const state = { active: true, feedHead: null, changed: 0, drift: 0 };
    const { service } = setup({}, state);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    (service as unknown as { refit: { execute: () => Promise<unknown> } }).refit.execute = async () => {
      await gate;
      return { version: 2, status: 'active' };
    };
    await expect(service.requestRefit({ reason: 'campaign', requestedBy: 'key:ab12' })).resolves.toMatchObject({ accepted: true, id: '2' });
    await expect(service.requestRefit({ reason: 'again', requestedBy: 'key:ab12' })).resolves.toMatchObject({ accepted: false });
    release();
  });
});

describe('ClustererService incremental loop', () => {
  it('a wake from the features writer runs a pass at once (with the announced keys) instead of at the next poll', async () => {
    const config = loadClustererConfig({ CLUSTERER_SCHEDULER: 'false', CLUSTERER_POLL_MS: '600000', CLUSTERER_REFIT_AFTER_CHANGED: '0', CLUSTERER_DRIFT_THRESHOLD: '0' });
    const announced: unknown[] = [];
    let passes = 0;
    const assign = {
      executePipelined: async () => {
        passes++;
        return { customers: 0, changes: 0, feedRows: 0, cursor: null };
      },
      announce: (change: unknown) => announced.push(change),
      flush: async () => undefined,
    } as unknown as AssignChangedCustomersUseCase;
    const repository = { feedHead: async () => null, activeModel: async () => ({ version: 1, created_at: '2026-01-01 00:00:00.000' }) } as unknown as ClustererRepository;
    const service = new ClustererService(config, repository, {} as SegmentChangePublisher, {} as RecoverUseCase, {} as RefitUseCase, assign, {} as CheckDriftUseCase);
    service.startLoop();
    await expectEventually(() => expect(passes).toBe(1)); // the first poll, then asleep for 10 minutes
    service.wake({ customerKeys: ['12347'], atMs: 1 });
    await expectEventually(() => expect(passes).toBe(2));
    expect(announced).toEqual([{ customerKeys: ['12347'], atMs: 1 }]);
    await service.onApplicationShutdown();
  });
});
