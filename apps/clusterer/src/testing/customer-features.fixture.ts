import type { CustomerFeatures } from '@insiders/features-core';

/** A plausible one-invoice customer's features, with `overrides` (tests and benchmarks). */
export function customerFeatures(overrides: Partial<CustomerFeatures> & Pick<CustomerFeatures, 'customerId'>): CustomerFeatures {
  return {
    synthetic: false,
    grossRevenue: 100,
    recencyDays: 10,
    invoices: 1,
    items: 10,
    products: 1,
    uniqueProducts: 1,
    averageTicket: 100,
    averageDaysBetweenPurchases: null,
    frequency: 1,
    returns: 0,
    returnLines: 0,
    returnRate: 0,
    averageBasketSize: 10,
    averageUniqueBasketSize: 1,
    revenueShareByWeekday: new Array<number>(7).fill(0),
    revenueShareByDayOfMonth: new Array<number>(31).fill(0),
    country: 'United Kingdom',
    firstPurchaseDay: '2017-01-01',
    lastPurchaseDay: '2017-01-01',
    ...overrides,
  };
}
