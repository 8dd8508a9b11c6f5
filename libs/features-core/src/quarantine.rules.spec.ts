import { DEFAULT_QUARANTINE_BOUNDS, isWithinBounds, quarantineReason } from './quarantine.rules';

const now = Date.parse('2026-01-01T00:00:00Z');
const line = { quantity: 6, unitPrice: 2.55, invoiceTime: '2017-11-29T08:26:00.000Z' };

describe('quarantineReason', () => {
  it('accepts ordinary lines and the seed data extremes', () => {
    expect(quarantineReason(line, DEFAULT_QUARANTINE_BOUNDS, now)).toBeNull();
    expect(quarantineReason({ ...line, quantity: -80_995 }, DEFAULT_QUARANTINE_BOUNDS, now)).toBeNull();
    expect(quarantineReason({ ...line, unitPrice: -11_062.06 }, DEFAULT_QUARANTINE_BOUNDS, now)).toBeNull();
    expect(quarantineReason({ ...line, unitPrice: 38_970 }, DEFAULT_QUARANTINE_BOUNDS, now)).toBeNull();
  });

  it('names the bound an absurd line breaks', () => {
    expect(quarantineReason({ ...line, quantity: 5_000_000 }, DEFAULT_QUARANTINE_BOUNDS, now)).toMatch(/^quantity 5000000 beyond/);
    expect(quarantineReason({ ...line, unitPrice: 1e9 }, DEFAULT_QUARANTINE_BOUNDS, now)).toMatch(/^unitPrice 1000000000 above/);
    expect(quarantineReason({ ...line, unitPrice: -1e9 }, DEFAULT_QUARANTINE_BOUNDS, now)).toMatch(/below/);
    expect(quarantineReason({ ...line, invoiceTime: '2026-01-03T00:00:00.000Z' }, DEFAULT_QUARANTINE_BOUNDS, now)).toMatch(/in the future/);
    expect(quarantineReason({ ...line, invoiceTime: '2026-01-01T12:00:00.000Z' }, DEFAULT_QUARANTINE_BOUNDS, now)).toBeNull();
    expect(quarantineReason({ ...line, invoiceTime: '1971-01-01T00:00:00.000Z' }, DEFAULT_QUARANTINE_BOUNDS, now)).toMatch(/before 2000/);
  });

  it('isWithinBounds holds exactly when there is no reason (the consumer checks numbers first)', () => {
    const hours = (h: number) => now + h * 3_600_000;
    const cases = [
      line,
      { ...line, quantity: 1_000_000 },
      { ...line, quantity: -1_000_001 },
      { ...line, unitPrice: 100_000 },
      { ...line, unitPrice: 100_000.01 },
      { ...line, unitPrice: -100_000 },
      { ...line, unitPrice: -100_000.01 },
      { ...line, invoiceTime: new Date(hours(24)).toISOString() },
      { ...line, invoiceTime: new Date(hours(24) + 1).toISOString() },
      { ...line, invoiceTime: '2000-01-01T00:00:00.000Z' },
      { ...line, invoiceTime: '1999-12-31T23:59:59.999Z' },
    ];
    const verdicts = cases.map((c) => [
      isWithinBounds(c.quantity, c.unitPrice, Date.parse(c.invoiceTime), DEFAULT_QUARANTINE_BOUNDS, now),
      quarantineReason(c, DEFAULT_QUARANTINE_BOUNDS, now) === null,
    ]);
    verdicts.forEach(([fast, reasonless]) => expect(fast).toBe(reasonless));
    expect(verdicts.map(([fast]) => fast)).toEqual([true, true, false, true, false, true, false, true, false, true, false]);
  });
});
