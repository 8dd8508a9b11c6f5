import { normalCdf, normalQuantile, normalSf, regularizedIncompleteBeta, studentTCdf, studentTQuantile, studentTTwoSided } from './distributions';

describe('distributions', () => {
  it('normal CDF, tail and quantile match tabulated values', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 15);
    expect(normalCdf(1.96)).toBeCloseTo(0.9750021048517795, 12);
    expect(normalCdf(-1)).toBeCloseTo(0.15865525393145707, 12);
    expect(normalSf(5) / 2.866515718791939e-7).toBeCloseTo(1, 9);
    expect(normalSf(10) / 7.61985302416047e-24).toBeCloseTo(1, 8);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 12);
    expect(normalQuantile(0.9)).toBeCloseTo(1.2815515655446004, 12);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 9);
  });

  it('Student t CDF equals the closed forms for 1 and 2 degrees of freedom', () => {
    for (const t of [-30, -2.5, -0.3, 0, 0.7, 1, 4, 50]) {
      expect(studentTCdf(t, 1)).toBeCloseTo(0.5 + Math.atan(t) / Math.PI, 12);
      expect(studentTCdf(t, 2)).toBeCloseTo(0.5 + t / (2 * Math.sqrt(2 + t * t)), 12);
    }
  });

  it('Student t quantiles and two-sided p-values match tables', () => {
    expect(studentTQuantile(0.975, 1)).toBeCloseTo(12.706204736174705, 8);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.2281388519649385, 9);
    expect(studentTQuantile(0.9, 30)).toBeCloseTo(1.3104150253913265, 9);
    expect(studentTQuantile(0.025, 10)).toBeCloseTo(-2.2281388519649385, 9);
    expect(studentTTwoSided(2.2281388519649385, 10)).toBeCloseTo(0.05, 10);
    expect(regularizedIncompleteBeta(0.5, 3.7, 3.7)).toBeCloseTo(0.5, 12);
    expect(regularizedIncompleteBeta(0.3, 1, 1)).toBeCloseTo(0.3, 12);
  });
});
