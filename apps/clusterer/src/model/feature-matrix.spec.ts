import type { CustomerFeatures } from '@insiders/features-core';
import { featureNames, prepareFeatures, signedLog1p } from './feature-matrix';

function customer(id: string, grossRevenue: number, recencyDays: number, lastPurchaseDay: string): CustomerFeatures {
  return {
    customerId: id,
    synthetic: false,
    grossRevenue,
    recencyDays,
    invoices: 3,
    items: 30,
    products: 12,
    uniqueProducts: 10,
    averageTicket: grossRevenue / 3,
    averageDaysBetweenPurchases: 10,
    frequency: 0.1,
    returns: 2,
    returnLines: 1,
    returnRate: 2 / 30,
    averageBasketSize: 10,
    averageUniqueBasketSize: 4,
    revenueShareByWeekday: [1, 0, 0, 0, 0, 0, 0],
    revenueShareByDayOfMonth: Array.from({ length: 31 }, (_, i) => (i === 0 ? 1 : 0)),
    country: 'France',
    firstPurchaseDay: '2017-01-01',
    lastPurchaseDay,
  };
}

describe('prepareFeatures', () => {
  it('uses gross revenue as the target only, never as a model input', () => {
    expect(featureNames('seed')).toEqual(['recencyDays', 'products', 'frequency', 'returns']);
    expect(featureNames('scalar')).not.toContain('grossRevenue');
    expect(featureNames('all')).toHaveLength(11 + 7 + 31);
    const p = prepareFeatures([customer('a', 100, 5, '2017-12-01'), customer('b', 2500, 40, '2017-12-07')], 'all');
    expect(p.matrix.cols).toBe(49);
    expect(Array.from(p.target)).toEqual([100, 2500]);
    expect(p.matrix.data[0]).toBeCloseTo(signedLog1p(5), 12); // recencyDays, scaled
    expect(Array.from(p.columns.get('grossRevenue')!)).toEqual([100, 2500]);
    expect(p.cutoffDay).toBe('2017-12-07');
    expect(p.facts[1]).toMatchObject({ customerId: 'b', revenue: 2500, recencyDays: 40, invoices: 3, avgTicket: 2500 / 3 });
  });

  it('rejects non-finite features naming the customer', () => {
    expect(() => prepareFeatures([customer('x', 1, Number.NaN, '2017-01-01')], 'seed')).toThrow('customer x: feature recencyDays');
  });

  it('scales with sign(x)·log1p(|x|)', () => {
    expect(signedLog1p(-Math.E + 1)).toBeCloseTo(-1, 12);
  });
});
