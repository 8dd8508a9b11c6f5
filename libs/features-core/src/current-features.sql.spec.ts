import { policyPreset, policyStateKey } from './cleaning-policy';
import { customerStatesSelectSql, readCurrentSql, visitCurrentAggregates } from './current-features.sql';
import { deriveFeatures, type CustomerAggregate } from './derive-features';

function row(values: { key: string; numbers: number[]; weekday: [number, number][]; dom: [number, number][]; country: string }): Buffer {
  const parts: Buffer[] = [];
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    parts.push(Buffer.from([b.length]), b);
  };
  const f64 = (v: number) => {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    parts.push(b);
  };
  const map = (pairs: [number, number][]) => {
    parts.push(Buffer.from([pairs.length]), Buffer.from(pairs.map((p) => p[0])), Buffer.from([pairs.length]));
    pairs.forEach((p) => f64(p[1]));
  };
  str(values.key);
  values.numbers.forEach(f64);
  map(values.weekday);
  map(values.dom);
  str(values.country);
  return Buffer.concat(parts);
}

describe('current features SQL', () => {
  it('folds a batch scope under the policy state key with the row rules', () => {
    const strict = policyPreset('strict');
    const sql = customerStatesSelectSql(strict, 'batch_seq = 7');
    expect(sql).toContain(`'${policyStateKey(strict)}' AS policy`);
    expect(sql).toContain('(batch_seq = 7)');
    expect(sql).toContain('customer_id IS NOT NULL');
    expect(sql).toMatch(/GROUP BY customer_key$/);
  });

  it('reads all customers with FINAL, applying the customer rules after the merge', () => {
    const all = readCurrentSql(policyPreset('seed-ian'));
    expect(all).toContain('FROM customer_states FINAL');
    expect(all).toContain('purchase_lines > 0');
    expect(all).not.toContain('return_items <=');
    expect(all).toContain('optimize_move_to_prewhere_if_final = 0');
    expect(all).not.toContain('customer_key IN');
    expect(all).not.toContain('GROUP BY');
    expect(readCurrentSql(policyPreset('strict'))).toContain('return_items <= purchase_items');
  });

  it('reads some customers by key with GROUP BY, the rules on merged values', () => {
    const some = readCurrentSql(policyPreset('strict'), { customerKeys: ['12347', "o'brien"] });
    expect(some).toContain(`customer_key IN ('12347','o\\'brien')`);
    expect(some).not.toContain('FINAL');
    expect(some).toContain('GROUP BY customer_key');
    expect(some).toContain('HAVING sum(purchase_lines) > 0 AND sum(return_items) <= sum(purchase_items)');
    expect(some).toContain('uniqExactMerge(invoices)');
    expect(some.trimEnd()).toMatch(/FORMAT RowBinary$/);
  });

  it('decodes rows into one reused aggregate that deriveFeatures turns into features', () => {
    const day = (iso: string) => Date.parse(`${iso}T00:00:00Z`) / 86_400_000;
    // revenue 300.5 = 200.5 on Mondays (day of month 2) + 100 on a Wednesday (day of month 11)
    const numbers = [300_500_000, 6, 40, 1, 4, 5, 3, 4, day('2017-01-02'), day('2017-01-11'), day('2017-01-31')];
    const data = Buffer.concat([
      row({ key: '12347', numbers, weekday: [[0, 200_500_000], [2, 100_000_000]], dom: [[1, 200_500_000], [10, 100_000_000]], country: 'Iceland' }),
      row({ key: 'invoice:5', numbers, weekday: [], dom: [], country: 'EIRE' }),
    ]);
    const seen: CustomerAggregate[] = [];
    const features = [] as ReturnType<typeof deriveFeatures>[];
    visitCurrentAggregates(data, (a) => {
      seen.push(a);
      features.push(deriveFeatures(a));
    });
    expect(seen[0]).toBe(seen[1]); // one object, reused
    const [known, anonymous] = features;
    expect(known).toMatchObject({ customerId: '12347', synthetic: false, grossRevenue: 300.5, recencyDays: 20, invoices: 3, products: 6, country: 'Iceland' });
    expect(known.revenueShareByWeekday).toEqual([200.5 / 300.5, 0, 100 / 300.5, 0, 0, 0, 0]);
    expect(known.revenueShareByDayOfMonth[1]).toBeCloseTo(200.5 / 300.5, 12);
    expect(anonymous).toMatchObject({ customerId: 'invoice:5', synthetic: true, country: 'EIRE' });
    expect(anonymous.revenueShareByWeekday).toEqual([0, 0, 0, 0, 0, 0, 0]);
  });
});
