import { definePolicy, policyPreset, policyStateKey, POLICY_PRESET_NAMES } from './cleaning-policy';
import { rowFilterSql, sqlString, toDay } from './features.sql';

describe('cleaning policies', () => {
  it('has the seed-ian preset with the reference rules', () => {
    const p = policyPreset('seed-ian');
    expect(p.missingCustomers).toBe('synthesize');
    expect(p.syntheticCustomerIdBase).toBe(19_000);
    expect(p.minUnitPrice).toBe(0.04);
    expect([...p.excludedStockCodes].sort()).toEqual(['AMAZONFEE', 'B', 'CRUK', 'D', 'DCGSSBOY', 'DCGSSGIRL', 'DOT', 'M', 'PADS', 'POST', 'S', 'm'].sort());
    expect(p.excludedCountries).toEqual(['European Community', 'Unspecified']);
    expect(p.excludedCustomers).toEqual(['16446']);
  });

  it('rejects unknown policy names, naming the known ones', () => {
    expect(() => policyPreset('nope')).toThrow(POLICY_PRESET_NAMES.join(', '));
  });

  it('keys states by name and row rules, so changed rules never reuse old states', () => {
    const seed = policyPreset('seed-ian');
    expect(policyStateKey(seed)).toMatch(/^seed-ian@[0-9a-f]{8}$/);
    expect(policyStateKey(seed)).toBe(policyStateKey({ ...seed, excludedCountries: [...seed.excludedCountries].reverse() }));
    expect(policyStateKey(definePolicy(seed, { name: 'seed-ian', minUnitPrice: 0.05 }))).not.toBe(policyStateKey(seed));
    // customer rules are applied at read time: they do not change the states
    expect(policyStateKey({ ...seed, dropCustomersReturningMoreThanBought: true })).toBe(policyStateKey(seed));
    expect(() => definePolicy(seed, { name: 'bad name;' })).toThrow('invalid policy name');
  });

  it('turns row rules into SQL with escaped literals', () => {
    const sql = rowFilterSql({ ...policyPreset('strict'), excludedCountries: ["Cote d'Ivoire"] });
    expect(sql).toContain("country NOT IN ('Cote d\\'Ivoire')");
    expect(sql).toContain("NOT startsWith(stock_code, 'DCGSS')");
    expect(sql).toContain('unit_price >= 0.04');
    expect(sql).toContain('customer_id IS NOT NULL');
    expect(rowFilterSql(policyPreset('raw'))).toBe('1');
    expect(sqlString('a\\b')).toBe("'a\\\\b'");
  });

  it('normalises asOf to a UTC day', () => {
    expect(toDay('2017-06-30')).toBe('2017-06-30');
    expect(toDay('2017-06-30T23:59:59Z')).toBe('2017-06-30');
    expect(toDay(new Date(Date.UTC(2017, 0, 2, 5)))).toBe('2017-01-02');
    expect(() => toDay('yesterday')).toThrow('invalid asOf');
  });
});
