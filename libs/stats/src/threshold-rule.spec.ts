import { SeededRandom } from './random';
import { learnThresholdRule, satisfiesRule } from './threshold-rule';

describe('learnThresholdRule', () => {
  it('recovers a planted two-condition rule exactly', () => {
    const rng = new SeededRandom(4);
    const rows: number[][] = [];
    const labels: boolean[] = [];
    for (let i = 0; i < 2000; i++) {
      const revenue = Math.round(rng.next() * 5000);
      const recency = Math.round(rng.next() * 365);
      const noise = rng.next();
      rows.push([revenue, recency, noise]);
      labels.push(revenue >= 3000 && recency <= 60);
    }
    const fit = learnThresholdRule(['revenue', 'recency', 'noise'], rows, labels);
    expect(fit.f1).toBe(1);
    const byFeature = Object.fromEntries(fit.conditions.map((c) => [c.feature, c]));
    expect(Object.keys(byFeature).sort()).toEqual(['recency', 'revenue']);
    expect(byFeature.revenue!.direction).toBe('>=');
    expect(byFeature.revenue!.threshold).toBeGreaterThanOrEqual(3000);
    expect(byFeature.recency!.direction).toBe('<=');
    expect(byFeature.recency!.threshold).toBeLessThanOrEqual(60);
    rows.forEach((r, i) =>
      expect(satisfiesRule(fit.conditions, { revenue: r[0]!, recency: r[1]!, noise: r[2]! })).toBe(labels[i]),
    );
  });

  it('reports honest fidelity when no rule is perfect', () => {
    const rows = [[1], [2], [3], [4], [5], [6]];
    const labels = [false, true, false, true, true, true];
    const fit = learnThresholdRule(['x'], rows, labels);
    expect(fit.conditions).toEqual([{ feature: 'x', direction: '>=', threshold: 2 }]);
    expect(fit.truePositives).toBe(4);
    expect(fit.falsePositives).toBe(1);
    expect(fit.precision).toBeCloseTo(0.8, 12);
    expect(fit.recall).toBe(1);
  });
});
