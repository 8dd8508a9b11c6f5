import { studentTQuantile } from './distributions';
import { backtestHolt, fitHolt, holtForecast } from './forecast';
import { InsufficientDataError } from './hypothesis-tests';
import { SeededRandom } from './random';

describe('Holt damped-trend forecast', () => {
  it('reproduces a hand computation with fixed parameters', () => {
    const y = [10, 12, 15, 14, 18];
    const fit = fitHolt(y, { alpha: 0.5, beta: 0.5, phi: 1 });
    // level/trend recursions worked by hand (see comment in forecast.ts for the equations)
    expect(fit.residuals).toEqual([1, -2.75, 1.0625]);
    expect(fit.level).toBeCloseTo(17.46875, 12);
    expect(fit.trend).toBeCloseTo(1.828125, 12);
    expect(fit.dof).toBe(1);
    const sigma = Math.sqrt(1 + 2.75 ** 2 + 1.0625 ** 2);
    expect(fit.sigma).toBeCloseTo(sigma, 12);
    const fc = holtForecast(y, { horizon: 2, level: 0.8, params: { alpha: 0.5, beta: 0.5, phi: 1 } });
    const q = studentTQuantile(0.9, 1);
    expect(fc.points[0]!.mean).toBeCloseTo(19.296875, 12);
    expect(fc.points[1]!.mean).toBeCloseTo(21.125, 12);
    expect(fc.points[0]!.upper - fc.points[0]!.mean).toBeCloseTo(q * sigma, 9);
    // h = 2: c_1 = alpha (1 + beta) = 0.75 -> variance multiplier 1 + 0.5625
    expect(fc.points[1]!.upper - fc.points[1]!.mean).toBeCloseTo(q * sigma * 1.25, 9);
  });

  it('extrapolates a straight line exactly', () => {
    const y = Array.from({ length: 12 }, (_, i) => 100 + 7 * i);
    const fc = holtForecast(y, { horizon: 3 });
    expect(fc.params.phi).toBe(1);
    fc.points.forEach((p) => expect(p.mean).toBeCloseTo(100 + 7 * (11 + p.h), 9));
  });

  it('clamps at zero when asked and rejects too-short series', () => {
    const fc = holtForecast([50, 40, 30, 20, 10, 5], { horizon: 6, nonNegative: true });
    fc.points.forEach((p) => {
      expect(p.mean).toBeGreaterThanOrEqual(0);
      expect(p.lower).toBeGreaterThanOrEqual(0);
    });
    expect(() => holtForecast([1, 2, 3], { horizon: 1 })).toThrow(InsufficientDataError);
  });

  it('beats the naive forecast on a trending series in the backtest, never using the held-out values', () => {
    const y = Array.from({ length: 12 }, (_, i) => 1000 + 80 * i + (i % 2 ? 15 : -15));
    const bt = backtestHolt(y, 3);
    expect(bt.oneStep.cases.map((c) => c.index)).toEqual([9, 10, 11]);
    expect(bt.multiStep.cases.map((c) => c.h)).toEqual([1, 2, 3]);
    expect(bt.oneStep.mape).toBeLessThan(bt.oneStep.naiveMape);
    expect(bt.multiStep.mape).toBeLessThan(bt.multiStep.naiveMape);
    // changing a held-out value changes the actual, not the forecast
    const y2 = [...y];
    y2[11] = 99999;
    expect(backtestHolt(y2, 3).multiStep.cases[2]!.forecast).toBe(bt.multiStep.cases[2]!.forecast);
  });

  it('has roughly nominal one-step interval coverage on simulated random walks with drift', () => {
    const rng = new SeededRandom(21);
    let covered = 0;
    let total = 0;
    for (let s = 0; s < 150; s++) {
      const y: number[] = [100];
      for (let t = 1; t < 24; t++) {
        const u = 1 - rng.next();
        y.push(y[t - 1]! + 2 + 5 * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next()));
      }
      const bt = backtestHolt(y, 4, { level: 0.8 });
      covered += bt.oneStep.cases.filter((c) => c.covered).length;
      total += bt.oneStep.cases.length;
    }
    const coverage = covered / total;
    expect(coverage).toBeGreaterThan(0.68);
    expect(coverage).toBeLessThan(0.92);
  });
});
