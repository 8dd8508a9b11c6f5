import { policyPreset } from '@insiders/features-core';
import { SyntheticNumbering, type AnonymousKeysSource } from './synthetic-numbering';

class FakeSource implements AnonymousKeysSource {
  version = 'v1';
  keys = ['invoice:B', 'invoice:A'];
  loads = 0;
  async anonymousNumberingVersion(): Promise<string> {
    return this.version;
  }
  async anonymousKeysInOrder(): Promise<string[]> {
    this.loads++;
    return [...this.keys];
  }
}

describe('SyntheticNumbering', () => {
  const seedIan = policyPreset('seed-ian'); // base 19000
  const other = { ...seedIan, syntheticCustomerIdBase: 500 };

  it('numbers keys from the policy base in stored order, both ways', async () => {
    const numbering = new SyntheticNumbering(new FakeSource());
    await numbering.refresh();
    expect(numbering.idOf(seedIan, 'invoice:B')).toBe('19000');
    expect(numbering.idOf(seedIan, 'invoice:A')).toBe('19001');
    expect(numbering.idOf(other, 'invoice:A')).toBe('501');
    expect(numbering.idOf(seedIan, 'invoice:unknown')).toBe('');
    expect(numbering.keyOf(seedIan, '19001')).toBe('invoice:A');
    expect(numbering.keyOf(seedIan, '19002')).toBeUndefined();
    expect(numbering.keyOf(seedIan, '18999')).toBeUndefined();
    expect(numbering.keyOf(seedIan, '019001')).toBeUndefined(); // not the canonical id text
    expect(numbering.keyOf(seedIan, '12347')).toBeUndefined();
  });

  it('tells ids that may be synthetic under a policy', () => {
    expect(SyntheticNumbering.mayBeSynthetic(seedIan, '19000')).toBe(true);
    expect(SyntheticNumbering.mayBeSynthetic(seedIan, '123456')).toBe(true);
    expect(SyntheticNumbering.mayBeSynthetic(seedIan, '18999')).toBe(false);
    expect(SyntheticNumbering.mayBeSynthetic(seedIan, '019000')).toBe(false);
    expect(SyntheticNumbering.mayBeSynthetic(seedIan, 'invoice:5')).toBe(false);
    expect(SyntheticNumbering.mayBeSynthetic(other, '500')).toBe(true);
  });

  it('reloads the order only when the stored version changed', async () => {
    const source = new FakeSource();
    const numbering = new SyntheticNumbering(source);
    await Promise.all([numbering.refresh(), numbering.refresh()]);
    await numbering.refresh();
    expect(source.loads).toBe(1);
    // an earlier anonymous invoice arrives late: everyone after it moves up one id
    source.keys = ['invoice:C', 'invoice:B', 'invoice:A'];
    source.version = 'v2';
    await numbering.refresh();
    expect(source.loads).toBe(2);
    expect(numbering.idOf(seedIan, 'invoice:A')).toBe('19002');
  });
});
