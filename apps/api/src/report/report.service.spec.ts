import { policyPreset } from '@insiders/features-core';
import { DEFAULT_REPORT_OPTIONS } from './report.builder';
import type { ReportSettings } from './report.options';
import type { ActiveModelRow, ReportRepository } from './report.repository';
import { ReportService } from './report.service';

function fakeRepository(state: { version: number; stamp: string }) {
  const model = (): ActiveModelRow => ({ version: state.version, createdAt: '', dataCutoff: '', customers: 0, k: 0, silhouette: 0, params: '{}', ariPrevious: null });
  const repo = {
    features: 0,
    activeModel: async () => model(),
    membershipsStamp: async () => state.stamp,
    segments: async () => [],
    memberships: async () => [],
    customerFeatures: async () => {
      repo.features++;
      return [];
    },
    rfmSegments: async () => [],
    monthlyRevenue: async () => [],
    transitionTotals: async () => ({ entered: 0, exited: 0, first: null, last: null }),
  };
  return repo;
}

describe('ReportService caching', () => {
  const settings: ReportSettings = { ...DEFAULT_REPORT_OPTIONS, resamples: 10, policy: policyPreset('seed-ian'), cacheTtlMs: 60_000, minRefreshMs: 5_000, workerThreshold: 1_000_000, mapMaxPoints: 100 };
  let now = 1_000_000;
  beforeEach(() => jest.spyOn(Date, 'now').mockImplementation(() => now));
  afterEach(() => jest.restoreAllMocks());

  it('reuses a report while nothing changed, within minRefresh when memberships changed, and never across models', async () => {
    const state = { version: 1, stamp: 'a' };
    const repo = fakeRepository(state);
    const service = new ReportService(repo as unknown as ReportRepository, settings);
    await service.report();
    expect(repo.features).toBe(1);
    now += 30_000; // same key, within the TTL
    await service.report();
    expect(repo.features).toBe(1);
    state.stamp = 'b'; // memberships changed, but the report is 30 s old (> minRefresh): recompute
    await service.report();
    expect(repo.features).toBe(2);
    now += 1_000;
    state.stamp = 'c'; // changed again 1 s later: within minRefresh, reuse
    await service.report();
    expect(repo.features).toBe(2);
    state.version = 2; // a new model: always recompute
    await service.report();
    expect(repo.features).toBe(3);
    now += 61_000; // same key beyond the TTL
    await service.report();
    expect(repo.features).toBe(4);
  });
});
