import { driftReport, featureBaseline, psi } from './drift';

describe('drift (PSI)', () => {
  const base = Array.from({ length: 1000 }, (_, i) => i);

  it('is ~0 for the same distribution and grows with a shift', () => {
    const b = featureBaseline('x', base);
    expect(b.edges).toHaveLength(9);
    expect(psi(b, base)).toBeCloseTo(0, 12);
    const shifted = base.map((x) => x + 300);
    const far = base.map((x) => x + 900);
    expect(psi(b, shifted)).toBeGreaterThan(0.25);
    expect(psi(b, far)).toBeGreaterThan(psi(b, shifted));
  });

  it('matches a hand computation on two bins', () => {
    const b = featureBaseline('x', [1, 1, 2, 2], 2); // edge at 2? sorted[2] = 2 -> bins (-inf,2], (2,inf)
    expect(b.edges).toEqual([2]);
    expect(b.shares).toEqual([1, 0]);
    // current: half above 2 -> a = [0.5, 0.5], e = [1, 1e-4]
    const expected = (0.5 - 1) * Math.log(0.5 / 1) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    expect(psi(b, [1, 3])).toBeCloseTo(expected, 12);
  });

  it('reports the largest feature drift', () => {
    const r = driftReport([featureBaseline('a', base), featureBaseline('b', base)], new Map([
      ['a', base],
      ['b', base.map((x) => x * 3)],
    ]));
    expect(r.perFeature.map((f) => f.name)).toEqual(['a', 'b']);
    expect(r.max).toBe(r.perFeature[1]!.psi);
  });
});
