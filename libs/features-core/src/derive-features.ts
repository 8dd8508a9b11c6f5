import { DAYS_OF_MONTH, WEEKDAYS, type CustomerFeatures } from './customer-features';

/** One customer's merged states, as read from storage (see readAggregatesSql). Days are days since 1970-01-01. */
export interface CustomerAggregate {
  customerId: string;
  synthetic: boolean;
  /** Exact decimal text, already rounded to the cent. */
  grossRevenue: string;
  revenue: number;
  purchaseLines: number;
  purchaseItems: number;
  returnLines: number;
  returnItems: number;
  basketProducts: number;
  invoices: number;
  uniqueProducts: number;
  firstDay: number;
  lastDay: number;
  referenceDay: number;
  /** Revenue per ISO weekday (1 = Monday) and per day of month (1..31), sparse. */
  weekdayKeys: number[];
  weekdayValues: number[];
  dayOfMonthKeys: number[];
  dayOfMonthValues: number[];
  country: string;
}

const DAY_MS = 86_400_000;

export function dayToIso(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function shares(keys: number[], values: number[], size: number, total: number): number[] {
  const out = new Array<number>(size).fill(0);
  if (total === 0) return out;
  for (let i = 0; i < keys.length; i++) out[keys[i] - 1] += values[i] / total;
  return out;
}

/** The feature formulas (docs/features.md), from a customer's merged aggregates. Pure. */
export function deriveFeatures(a: CustomerAggregate): CustomerFeatures {
  const span = a.lastDay - a.firstDay;
  const invoices = a.invoices;
  const grossRevenue = Number(a.grossRevenue);
  return {
    customerId: a.customerId,
    synthetic: a.synthetic,
    grossRevenue,
    recencyDays: a.referenceDay - a.lastDay,
    invoices,
    items: a.purchaseItems,
    products: a.purchaseLines,
    uniqueProducts: a.uniqueProducts,
    averageTicket: invoices > 0 ? a.revenue / invoices : 0,
    averageDaysBetweenPurchases: invoices > 1 ? span / (invoices - 1) : null,
    frequency: invoices / (span + 1),
    returns: a.returnItems,
    returnLines: a.returnLines,
    returnRate: a.purchaseItems > 0 ? a.returnItems / a.purchaseItems : 0,
    averageBasketSize: invoices > 0 ? a.purchaseItems / invoices : 0,
    averageUniqueBasketSize: invoices > 0 ? a.basketProducts / invoices : 0,
    revenueShareByWeekday: shares(a.weekdayKeys, a.weekdayValues, WEEKDAYS, a.revenue),
    revenueShareByDayOfMonth: shares(a.dayOfMonthKeys, a.dayOfMonthValues, DAYS_OF_MONTH, a.revenue),
    country: a.country,
    firstPurchaseDay: dayToIso(a.firstDay),
    lastPurchaseDay: dayToIso(a.lastDay),
  };
}
