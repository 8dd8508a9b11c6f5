import { InsufficientDataError, mannWhitneyU, welchTTest } from './hypothesis-tests';

// R's `sleep` data set (Student 1908): extra hours of sleep under two drugs.
const drug1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const drug2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

describe('welchTTest', () => {
  it("matches R's t.test(extra ~ group, data = sleep)", () => {
    // R: t = -1.8608, df = 17.776, p-value = 0.07939; 95% CI -3.3654832 0.2054832; means 0.75 2.33
    const r = welchTTest(drug1, drug2);
    expect(r.meanA).toBeCloseTo(0.75, 12);
    expect(r.meanB).toBeCloseTo(2.33, 12);
    expect(r.t).toBeCloseTo(-1.860813, 5);
    expect(r.df).toBeCloseTo(17.77647, 4);
    expect(r.pValue).toBeCloseTo(0.07939414, 7);
    expect(r.ci[0]).toBeCloseTo(-3.3654832, 6);
    expect(r.ci[1]).toBeCloseTo(0.2054832, 6);
  });

  it('is symmetric and rejects tiny groups', () => {
    const ab = welchTTest(drug1, drug2);
    const ba = welchTTest(drug2, drug1);
    expect(ba.t).toBeCloseTo(-ab.t, 12);
    expect(ba.pValue).toBeCloseTo(ab.pValue, 12);
    expect(() => welchTTest([1], [1, 2])).toThrow(InsufficientDataError);
  });
});

describe('mannWhitneyU', () => {
  it("matches R's wilcox.test(extra ~ group, data = sleep) with ties (normal approximation, continuity correction)", () => {
    // R: W = 25.5, p-value = 0.06933
    const r = mannWhitneyU(drug1, drug2);
    expect(r.u).toBe(25.5);
    expect(r.pValue).toBeCloseTo(0.06932763, 6);
  });

  it('computes the tie-corrected z by hand on a small example', () => {
    // a = [1, 2, 2], b = [2, 3]: ranks 1, 3, 3 | 3, 5 -> R_a = 7, U = 7 - 6 = 1; one tie group of 3.
    const r = mannWhitneyU([1, 2, 2], [2, 3]);
    expect(r.u).toBe(1);
    const sigma = Math.sqrt(((3 * 2) / 12) * (6 - (27 - 3) / (5 * 4)));
    expect(r.z).toBeCloseTo((1 - 3 + 0.5) / sigma, 12);
    expect(r.probabilityOfSuperiority).toBeCloseTo(1 / 6, 12);
    expect(r.cliffsDelta).toBeCloseTo(-2 / 3, 12);
  });

  it('gives p = 1 when all values are equal and tiny p for separated groups', () => {
    expect(mannWhitneyU([5, 5, 5], [5, 5]).pValue).toBe(1);
    const lo = Array.from({ length: 50 }, (_, i) => i);
    const hi = Array.from({ length: 50 }, (_, i) => 100 + i);
    const r = mannWhitneyU(hi, lo);
    expect(r.u).toBe(2500);
    expect(r.pValue).toBeLessThan(1e-15);
    expect(r.cliffsDelta).toBe(1);
  });
});
