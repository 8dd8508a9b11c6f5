import { featureVector, SCALAR_FEATURES } from './customer-features';
import { centsOf, dayOfMonth, deriveFeatures, weekdayIndex, type CustomerAggregate } from './derive-features';

const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;

function aggregate(overrides: Partial<CustomerAggregate> = {}): CustomerAggregate {
  return {
    customerId: '12347',
    synthetic: false,
    revenueMicros: 300_500_000,
    purchaseLines: 6,
    purchaseItems: 40,
    returnLines: 1,
    returnItems: 4,
    basketProducts: 5,
    invoices: 3,
    uniqueProducts: 4,
    firstDay: day('2017-01-02'),
    lastDay: day('2017-01-11'),
    referenceDay: day('2017-01-31'),
    // 2017-01-02 is a Monday, 2017-01-11 a Wednesday; the Monday appears twice (unmerged state rows)
    purchaseDays: [day('2017-01-02'), day('2017-01-11'), day('2017-01-02')],
    purchaseDayMicros: [150_500_000, 100_000_000, 50_000_000],
    country: 'Iceland',
    ...overrides,
  };
}

describe('deriveFeatures', () => {
  it('gives the same shares from sparse weekday / day-of-month sums as from per-day revenue', () => {
    const perDay = deriveFeatures(aggregate());
    const sparse = deriveFeatures(
      aggregate({
        purchaseDays: [],
        purchaseDayMicros: [],
        weekdayRevenue: [2, 100_000_000, 0, 200_500_000],
        dayOfMonthRevenue: [1, 200_500_000, 10, 100_000_000],
      }),
    );
    expect(sparse).toEqual(perDay);
  });

  it('applies the documented formulas', () => {
    const f = deriveFeatures(aggregate());
    expect(f.grossRevenue).toBe(300.5);
    expect(f.recencyDays).toBe(20);
    expect(f.frequency).toBe(3 / 10);
    expect(f.averageDaysBetweenPurchases).toBe(9 / 2);
    expect(f.averageTicket).toBeCloseTo(100.1667, 4);
    expect(f.averageBasketSize).toBeCloseTo(40 / 3, 10);
    expect(f.averageUniqueBasketSize).toBeCloseTo(5 / 3, 10);
    expect(f.returns).toBe(4);
    expect(f.returnRate).toBe(0.1);
    expect(f.products).toBe(6);
    expect(f.items).toBe(40);
    expect(f.revenueShareByWeekday).toEqual([200.5 / 300.5, 0, 100 / 300.5, 0, 0, 0, 0]);
    expect(f.revenueShareByDayOfMonth).toHaveLength(31);
    expect(f.revenueShareByDayOfMonth[1]).toBeCloseTo(200.5 / 300.5, 12);
    expect(f.revenueShareByDayOfMonth[10]).toBeCloseTo(100 / 300.5, 12);
    expect(f.firstPurchaseDay).toBe('2017-01-02');
    expect(f.lastPurchaseDay).toBe('2017-01-11');
    expect(f.country).toBe('Iceland');
  });

  it('handles a single purchase day and zero revenue', () => {
    const f = deriveFeatures(aggregate({ invoices: 1, firstDay: day('2017-01-11'), revenueMicros: 0, purchaseDays: [], purchaseDayMicros: [] }));
    expect(f.frequency).toBe(1);
    expect(f.averageDaysBetweenPurchases).toBeNull();
    expect(f.revenueShareByWeekday).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });

  it('rounds revenue to the cent half away from zero, exactly', () => {
    expect(centsOf(2_345_000)).toBe(235);
    expect(centsOf(2_344_999)).toBe(234);
    expect(centsOf(-2_345_000)).toBe(-235);
    expect(deriveFeatures(aggregate({ revenueMicros: 928_060_000 })).grossRevenue).toBe(928.06);
  });

  it('computes calendar fields of day numbers', () => {
    for (const iso of ['1970-01-01', '2016-02-29', '2017-12-31', '2020-03-01', '1969-12-31']) {
      const d = new Date(`${iso}T00:00:00Z`);
      expect(dayOfMonth(day(iso))).toBe(d.getUTCDate());
      expect(weekdayIndex(day(iso))).toBe((d.getUTCDay() + 6) % 7);
    }
  });

  it('builds the feature vector in a fixed order', () => {
    const f = deriveFeatures(aggregate());
    const v = featureVector(f);
    expect(v).toHaveLength(SCALAR_FEATURES.length + 7 + 31);
    expect(v[0]).toBe(f.grossRevenue);
    expect(v[1]).toBe(f.recencyDays);
  });
});
