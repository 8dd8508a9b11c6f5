import { decodeInvoiceLine, encodeInvoiceLine, InvoiceLineDecodeError } from './invoice-line.codec';
import { InvoiceLineEvent } from './invoice-line.event';
import { validateInvoiceLine } from './invoice-line.validator';

function event(patch: Record<string, unknown>): InvoiceLineEvent {
  const result = validateInvoiceLine({
    eventId: 'Ecommerce.csv:1',
    invoiceNo: '536365',
    stockCode: '85123A',
    description: 'WHITE HANGING HEART',
    quantity: 6,
    invoiceTime: '2016-11-29',
    unitPrice: 2.55,
    customerId: '17850',
    country: 'United Kingdom',
    ...patch,
  });
  if (!result.ok) throw new Error(result.reason);
  return result.event;
}

describe('encodeInvoiceLine', () => {
  it.each([
    {},
    { description: null, customerId: null },
    { description: 'RECORD FRAME 7" SINGLE SIZE', country: 'Côte d\'Ivoire' },
    { description: 'tab\there \\ back\nslash \u0001 \ud800 lone £40.00' },
    { source: 'replay:Ecommerce.csv', sourceLine: 1 },
    { unitPrice: -11062.06, quantity: -80995 },
    { unitPrice: 1e-7 },
  ])('is exactly JSON.stringify of the event (%p)', (patch) => {
    const e = event(patch);
    expect(encodeInvoiceLine(e)).toBe(JSON.stringify(e));
  });

  it('round-trips through decodeInvoiceLine', () => {
    const e = event({ source: 'http', description: 'a "quoted" é' });
    expect(decodeInvoiceLine(Buffer.from(encodeInvoiceLine(e)))).toEqual(e);
  });

  it('decode names the field of an invalid message', () => {
    expect(() => decodeInvoiceLine('{')).toThrow(InvoiceLineDecodeError);
    let error: InvoiceLineDecodeError | undefined;
    try {
      decodeInvoiceLine(JSON.stringify({ ...event({}), quantity: 'x' }));
    } catch (e) {
      error = e as InvoiceLineDecodeError;
    }
    expect(error?.field).toBe('quantity');
  });
});
