import { bootstrapDifference, medianInPlace } from './bootstrap';
import { median, quantileSorted } from './descriptive';
import { welchTTest } from './hypothesis-tests';
import { SeededRandom } from './random';

function normalSample(rng: SeededRandom, n: number, mu: number, sigma: number): number[] {
  return Array.from({ length: n }, () => {
    const u = 1 - rng.next();
    return mu + sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
  });
}

describe('bootstrapDifference', () => {
  it('medianInPlace agrees with the sort-based median', () => {
    const rng = new SeededRandom(7);
    for (let n = 1; n < 60; n++) {
      const xs = Array.from({ length: n }, () => Math.round(rng.next() * 20));
      expect(medianInPlace(Float64Array.from(xs))).toBe(median(xs));
    }
  });

  it('resampled medians equal the medians of explicitly drawn resamples', () => {
    // the counting shortcut must give exactly the median of the values drawn with the same random stream
    const a = [5, 1, 9, 3, 3, 7, 2, 8];
    const b = [4, 4, 6, 1, 0];
    const boot = bootstrapDifference(a, b, { statistic: 'median', resamples: 50, seed: 3 });
    const A = [...a].sort((x, y) => x - y);
    const B = [...b].sort((x, y) => x - y);
    const rng = new SeededRandom(3);
    const diffs: number[] = [];
    for (let r = 0; r < 50; r++) {
      const ra = A.map(() => A[rng.int(A.length)]!);
      const rb = B.map(() => B[rng.int(B.length)]!);
      diffs.push(median(ra) - median(rb));
    }
    diffs.sort((x, y) => x - y);
    expect(boot.ci[0]).toBeCloseTo(quantileSorted(diffs, 0.025), 12);
    expect(boot.ci[1]).toBeCloseTo(quantileSorted(diffs, 0.975), 12);
  });

  it('is reproducible by seed and differs across seeds', () => {
    const rng = new SeededRandom(1);
    const a = normalSample(rng, 80, 10, 3);
    const b = normalSample(rng, 120, 8, 2);
    const r1 = bootstrapDifference(a, b, { seed: 5, resamples: 500 });
    const r2 = bootstrapDifference(a, b, { seed: 5, resamples: 500 });
    const r3 = bootstrapDifference(a, b, { seed: 6, resamples: 500 });
    expect(r1.ci).toEqual(r2.ci);
    expect(r3.ci).not.toEqual(r1.ci);
    const shuffled = bootstrapDifference([...a].reverse(), [...b].reverse(), { seed: 5, resamples: 500 });
    expect(shuffled.ci).toEqual(r1.ci);
  });

  it('agrees with the Welch interval for the difference of means on normal data', () => {
    const rng = new SeededRandom(3);
    const a = normalSample(rng, 400, 12, 4);
    const b = normalSample(rng, 600, 10, 2);
    const boot = bootstrapDifference(a, b, { seed: 11, resamples: 4000 });
    const welch = welchTTest(a, b);
    expect(boot.estimate).toBeCloseTo(welch.difference, 10);
    const width = welch.ci[1] - welch.ci[0];
    expect(Math.abs(boot.ci[0] - welch.ci[0])).toBeLessThan(0.1 * width);
    expect(Math.abs(boot.ci[1] - welch.ci[1])).toBeLessThan(0.1 * width);
    expect(boot.shareAtOrBelowZero).toBe(0);
  });

  it('covers the true median difference and reports the observed one', () => {
    const rng = new SeededRandom(9);
    const a = normalSample(rng, 301, 5, 1);
    const b = normalSample(rng, 201, 3, 1);
    const r = bootstrapDifference(a, b, { statistic: 'median', seed: 2, resamples: 1000 });
    expect(r.estimate).toBeCloseTo(median(a) - median(b), 12);
    expect(r.ci[0]).toBeLessThan(2);
    expect(r.ci[1]).toBeGreaterThan(2);
    expect(r.ci[0]).toBeLessThan(r.estimate);
    expect(r.ci[1]).toBeGreaterThan(r.estimate);
  });
});
