import { policyPreset, sqlString } from '@insiders/features-core';
import { scopedAggregatesSql, SCOPE } from './features.repository';

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
