import type { CustomerFeatures } from '@insiders/features-core';
import { populationOf } from './customer-read-model';

const f = (grossRevenue: number, recencyDays: number, invoices: number): CustomerFeatures =>
  ({ grossRevenue, recencyDays, invoices, frequency: 0.5, returns: 0, items: 10, products: 2, averageTicket: grossRevenue / invoices }) as CustomerFeatures;

describe('populationOf', () => {
  it('gives the mean and population standard deviation of every fact', () => {
    const p = populationOf([f(100, 10, 1), f(300, 30, 3)]);
    expect(p.customers).toBe(2);
    expect(p.mean.revenue).toBe(200);
    expect(p.std.revenue).toBe(100);
    expect(p.mean.recencyDays).toBe(20);
    expect(p.std.recencyDays).toBe(10);
    expect(p.mean.avgTicket).toBe(100);
    expect(p.std.frequency).toBe(0);
  });

  it('is all zeros for no customers', () => {
    expect(populationOf([])).toEqual({ customers: 0, mean: expect.objectContaining({ revenue: 0 }), std: expect.objectContaining({ revenue: 0 }) });
  });
});
