import { policyPreset, sqlString } from '@insiders/features-core';
import { aggregateFromRow, canonicalColumnsSql, scopedAggregatesSql, SCOPE } from './features.repository';

describe('scopedAggregatesSql', () => {
  it.each(['seed-ian', 'strict', 'raw'])('binds the customer scope of policy %s as a parameter, leaving no sentinel', (name) => {
    const sql = scopedAggregatesSql(policyPreset(name), SCOPE.oneCustomer);
    expect(sql).toContain('({customer_id:String})');
    expect(sql).not.toContain('__insiders_api_scope__');
    expect(sql).not.toContain(sqlString('__insiders_api_scope__'));
  });

  it('scopes by a subquery', () => {
    const sql = scopedAggregatesSql(policyPreset('strict'), SCOPE.insiders);
    expect(sql).toContain(`customer_key IN (${SCOPE.insiders})`);
  });
});

describe('aggregate layouts', () => {
  it('maps either layout of the aggregates by column name', () => {
    const a = aggregateFromRow({ customer_id: '1', synthetic: 0, revenue_micros: '12500000', c_purchase_lines: '2', purchase_days: ['15000'], c_last_country: 'France' });
    expect(a).toMatchObject({ customerId: '1', synthetic: false, revenueMicros: 12_500_000, purchaseLines: 2, purchaseDays: [15_000], country: 'France' });
    const b = aggregateFromRow({ customer_id: '2', synthetic: 1, gross_revenue: '12.50', revenue_float: 12.5, weekday_keys: [1], c_last_country: 'EIRE' });
    expect(b).toMatchObject({ customerId: '2', synthetic: true, grossRevenue: '12.50', revenue: 12.5, weekdayKeys: [1], country: 'EIRE' });
    expect(() => aggregateFromRow({ customer_id: '1', mystery: 1 })).toThrow('unknown column "mystery"');
  });

  it('selects canonical columns from whichever names exist', () => {
    const micros = canonicalColumnsSql('X', ['customer_id', 'revenue_micros', 'c_purchase_lines', 'c_purchase_items', 'c_return_items', 'invoice_count', 'first_day', 'last_day', 'reference_day', 'c_last_country']);
    expect(micros).toContain('toFloat64(revenue_micros) / 1000000 AS revenue');
    expect(micros).toContain('c_purchase_items AS purchase_items');
    const decimal = canonicalColumnsSql('X', ['customer_id', 'revenue_float', 'purchase_lines', 'purchase_items', 'return_items', 'invoice_count', 'first_day', 'last_day', 'reference_day', 'last_country']);
    expect(decimal).toContain('revenue_float AS revenue');
    expect(() => canonicalColumnsSql('X', ['customer_id'])).toThrow('no column for revenue');
  });
});
