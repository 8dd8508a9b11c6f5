import { studentTQuantile } from './distributions';
import { autoForecast, backtestForecast, backtestHolt, driftForecast, fitHolt, holtForecast, naiveForecast, selectForecastMethod } from './forecast';
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
    expect(fc.params?.phi).toBe(1);
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

describe('benchmark methods and automatic selection', () => {
  it('drift: hand-computed forecast and interval', () => {
    const y = [1, 3, 2, 6];
    const fc = driftForecast(y, { horizon: 2, level: 0.9 });
    const sigma = Math.sqrt((1 / 9 + 64 / 9 + 49 / 9) / 2);
    const q = studentTQuantile(0.95, 2);
    expect(fc.method).toBe('drift');
    expect(fc.sigma).toBeCloseTo(sigma, 12);
    expect(fc.points[0]!.mean).toBeCloseTo(6 + 5 / 3, 12);
    expect(fc.points[1]!.mean).toBeCloseTo(6 + 10 / 3, 12);
    expect(fc.points[0]!.upper - fc.points[0]!.mean).toBeCloseTo(q * sigma * Math.sqrt(1 + 1 / 3), 10);
    expect(fc.points[1]!.upper - fc.points[1]!.mean).toBeCloseTo(q * sigma * Math.sqrt(2 * (1 + 2 / 3)), 10);
  });

  it('naive: last value, interval growing with the square root of the horizon', () => {
    const fc = naiveForecast([10, 12, 11, 13], { horizon: 4, level: 0.8 });
    fc.points.forEach((p) => expect(p.mean).toBe(13));
    const half = (h: number) => fc.points[h - 1]!.upper - fc.points[h - 1]!.mean;
    expect(half(4) / half(1)).toBeCloseTo(2, 12);
  });

  it('selects drift for a trending series, and leaves Holt out of short series', () => {
    const rng = new SeededRandom(5);
    const y = Array.from({ length: 12 }, (_, i) => 100 + 10 * i + (rng.next() - 0.5) * 4);
    const s = selectForecastMethod(y);
    expect(s.method).toBe('drift');
    expect(Object.keys(s.scores).sort()).toEqual(['drift', 'naive']);
    expect(s.origins).toBe(7);
    const long = Array.from({ length: 24 }, (_, i) => 100 + 10 * i + (rng.next() - 0.5) * 4);
    expect(Object.keys(selectForecastMethod(long).scores).sort()).toEqual(['drift', 'holt-damped', 'naive']);
    const auto = autoForecast(y, { horizon: 2 });
    expect(auto.method).toBe('drift');
    expect(auto.selection.method).toBe('drift');
  });

  it('backtests the whole automatic procedure without looking at held-out values', () => {
    const rng = new SeededRandom(8);
    const y = Array.from({ length: 12 }, (_, i) => 50 + 3 * i + (rng.next() - 0.5) * 10);
    const bt = backtestForecast(y, 3, { method: 'auto' });
    const y2 = [...y];
    y2[11] = 1e6;
    const bt2 = backtestForecast(y2, 3, { method: 'auto' });
    expect(bt2.oneStep.cases.map((c) => c.forecast)).toEqual(bt.oneStep.cases.map((c) => c.forecast));
    expect(bt2.multiStep.cases.map((c) => c.forecast)).toEqual(bt.multiStep.cases.map((c) => c.forecast));
    bt.oneStep.cases.forEach((c) => expect(['naive', 'drift']).toContain(c.method));
  });
});
