import { INVOICE_LINE_V1 } from './invoice-line.event';
import { validateInvoiceLine } from './invoice-line.validator';

const good = {
  eventId: 'shop-1:42',
  invoiceNo: '536365',
  stockCode: '85123A',
  description: 'WHITE HANGING HEART T-LIGHT HOLDER',
  quantity: 6,
  invoiceTime: '2016-11-29T08:26:00Z',
  unitPrice: 2.55,
  customerId: '17850',
  country: 'United Kingdom',
};

function rejects(patch: Record<string, unknown>) {
  const result = validateInvoiceLine({ ...good, ...patch });
  if (result.ok) throw new Error(`expected ${JSON.stringify(patch)} to be rejected`);
  return result;
}

describe('validateInvoiceLine', () => {
  it('accepts a good line and returns a normalised event with the contract fields only, in order', () => {
    const result = validateInvoiceLine({ ...good, extra: 'ignored' });
    expect(result).toEqual({
      ok: true,
      event: { schema: INVOICE_LINE_V1, ...good, invoiceTime: '2016-11-29T08:26:00.000Z' },
    });
    if (result.ok) expect(Object.keys(result.event)).toEqual(['schema', 'eventId', 'invoiceNo', 'stockCode', 'description', 'quantity', 'invoiceTime', 'unitPrice', 'customerId', 'country']);
  });

  it('keeps returns (negative quantities, C invoices) and a missing customer', () => {
    const result = validateInvoiceLine({ ...good, invoiceNo: 'C536379', quantity: -1, customerId: null });
    expect(result.ok && result.event).toMatchObject({ invoiceNo: 'C536379', quantity: -1, customerId: null });
    const absent = validateInvoiceLine({ ...good, customerId: undefined });
    expect(absent.ok && absent.event.customerId).toBeNull();
  });

  it.each([
    [17850, '17850'],
    ['17850.0', '17850'],
    ['17850.00', '17850'],
    [' 12345 ', '12345'],
    ['guest-7', 'guest-7'],
  ])('normalises customer id %p to %p', (customerId, expected) => {
    const result = validateInvoiceLine({ ...good, customerId });
    expect(result.ok && result.event.customerId).toBe(expected);
  });

  it.each([
    ['2016-11-29 08:26:00', '2016-11-29T08:26:00.000Z'],
    ['2016-11-29', '2016-11-29T00:00:00.000Z'],
    ['2016-11-29T09:26:00+01:00', '2016-11-29T08:26:00.000Z'],
    ['2016-11-29T03:26:00.5-0500', '2016-11-29T08:26:00.500Z'],
    [Date.UTC(2016, 10, 29, 8, 26), '2016-11-29T08:26:00.000Z'],
  ])('normalises invoice time %p to %p', (invoiceTime, expected) => {
    const result = validateInvoiceLine({ ...good, invoiceTime });
    expect(result.ok && result.event.invoiceTime).toBe(expected);
  });

  it('accepts numeric strings for quantity and unit price, and normalises an empty description to null', () => {
    const result = validateInvoiceLine({ ...good, quantity: '-12', unitPrice: '0.85', description: '' });
    expect(result.ok && result.event).toMatchObject({ quantity: -12, unitPrice: 0.85, description: null });
  });

  it('names the field and says why', () => {
    expect(rejects({ quantity: 1.5 })).toEqual({ ok: false, field: 'quantity', reason: 'quantity must be an integer, got 1.5' });
    expect(rejects({ quantity: 0 })).toMatchObject({ field: 'quantity', reason: 'quantity must not be 0' });
    expect(rejects({ quantity: 'six' })).toMatchObject({ field: 'quantity', reason: 'quantity must be an integer, got "six"' });
    expect(rejects({ quantity: undefined })).toMatchObject({ field: 'quantity', reason: 'quantity is missing' });
    expect(rejects({ unitPrice: 'abc' })).toMatchObject({ field: 'unitPrice' });
    expect(rejects({ unitPrice: Infinity })).toMatchObject({ field: 'unitPrice', reason: 'unitPrice must be a finite number, got Infinity' });
    expect(rejects({ invoiceTime: 'yesterday' })).toMatchObject({ field: 'invoiceTime' });
    expect(rejects({ invoiceTime: '2017-02-31 10:00:00' })).toMatchObject({ field: 'invoiceTime' });
    expect(rejects({ invoiceTime: '2017-13-01' })).toMatchObject({ field: 'invoiceTime' });
    expect(rejects({ invoiceTime: 1_480_000_000 })).toMatchObject({ field: 'invoiceTime', reason: expect.stringContaining('outside') });
    expect(rejects({ invoiceNo: '' })).toMatchObject({ field: 'invoiceNo', reason: 'invoiceNo must be a non-empty string' });
    expect(rejects({ stockCode: '   ' })).toMatchObject({ field: 'stockCode' });
    expect(rejects({ country: undefined })).toMatchObject({ field: 'country', reason: 'country is missing' });
    expect(rejects({ customerId: '' })).toMatchObject({ field: 'customerId' });
    expect(rejects({ customerId: 12.5 })).toMatchObject({ field: 'customerId' });
    expect(rejects({ description: 42 })).toMatchObject({ field: 'description' });
    expect(rejects({ schema: 'invoice-line/v2' })).toMatchObject({ field: 'schema' });
    expect(rejects({ sourceLine: 0 })).toMatchObject({ field: 'sourceLine' });
  });

  it('bounds the event id to 1..200 characters', () => {
    expect(rejects({ eventId: '' })).toMatchObject({ field: 'eventId' });
    expect(rejects({ eventId: 'x'.repeat(201) })).toMatchObject({ field: 'eventId', reason: 'eventId is longer than 200 characters' });
    expect(rejects({ eventId: 7 })).toMatchObject({ field: 'eventId' });
    expect(validateInvoiceLine({ ...good, eventId: 'x'.repeat(200) }).ok).toBe(true);
  });

  it('rejects non-objects as a whole row', () => {
    expect(validateInvoiceLine(null)).toEqual({ ok: false, field: null, reason: 'expected an invoice line object, got null' });
    expect(validateInvoiceLine([good])).toMatchObject({ ok: false, field: null });
    expect(validateInvoiceLine('536365,85123A')).toMatchObject({ ok: false, field: null });
  });

  it('does not let the last-time cache leak a previous value', () => {
    expect(validateInvoiceLine({ ...good, invoiceTime: '2016-12-01 10:00:00' }).ok).toBe(true);
    const next = validateInvoiceLine({ ...good, invoiceTime: '2016-12-01 10:00:01' });
    expect(next.ok && next.event.invoiceTime).toBe('2016-12-01T10:00:01.000Z');
    expect(rejects({ invoiceTime: '2016-12-01 10:00:0x' })).toMatchObject({ field: 'invoiceTime' });
  });
});
