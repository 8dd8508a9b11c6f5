import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { decodeInvoiceLine, encodeInvoiceLine } from './invoice-line.codec';
import { readInvoiceCsv } from './csv/invoice-csv.reader';
import { INVOICE_LINE_V1, type InvoiceLineEvent } from './invoice-line.event';
import { InvoiceLineScan, scanInvoiceLine } from './invoice-line.scanner';

const SEED = ['/work/shared/data/Ecommerce.csv', join(__dirname, '../../../data/Ecommerce.csv.gz')].find((p) => existsSync(p))!;

const text = (b: Buffer, start: number, end: number) => (start < 0 ? null : b.toString('latin1', start, end));

/** What decodeInvoiceLine gives, or the error message. */
function decoded(b: Buffer): InvoiceLineEvent | string {
  try {
    return decodeInvoiceLine(b);
  } catch (e) {
    return (e as Error).message;
  }
}

/** The scan read back as the event the general path builds (numbers from their recorded text). */
function asEvent(b: Buffer, s: InvoiceLineScan): InvoiceLineEvent {
  const event: InvoiceLineEvent = {
    schema: INVOICE_LINE_V1,
    eventId: text(b, s.eventIdStart, s.eventIdEnd)!,
    invoiceNo: text(b, s.invoiceNoStart, s.invoiceNoEnd)!,
    stockCode: text(b, s.stockCodeStart, s.stockCodeEnd)!,
    description: text(b, s.descriptionStart, s.descriptionEnd),
    quantity: Number(text(b, s.quantityStart, s.quantityEnd)),
    invoiceTime: text(b, s.timeStart, s.timeStart + 24)!,
    unitPrice: Number(text(b, s.unitPriceStart, s.unitPriceEnd)),
    customerId: text(b, s.customerIdStart, s.customerIdEnd),
    country: text(b, s.countryStart, s.countryEnd)!,
  };
  if (s.sourceStart >= 0) event.source = text(b, s.sourceStart, s.sourceEnd)!;
  if (s.sourceLineStart >= 0) event.sourceLine = Number(text(b, s.sourceLineStart, s.sourceLineEnd));
  return event;
}

const FIELDS = ['schema', 'eventId', 'invoiceNo', 'stockCode', 'description', 'quantity', 'invoiceTime', 'unitPrice', 'customerId', 'country', 'source', 'sourceLine'] as const;

/**
 * The scanner's promise: when it accepts, the general path accepts too and gives exactly these fields, the same
 * numbers, and the recorded number text is JavaScript's own (the raw table gets the same text either way).
 * Returns "declined", "agrees" or what differs (plain comparisons: this runs for half a million lines).
 */
function check(b: Buffer, scan: InvoiceLineScan): string {
  if (!scanInvoiceLine(b, scan)) return 'declined';
  const event = decoded(b);
  if (typeof event === 'string') return `accepted what the validator rejects: ${event}`;
  const read = asEvent(b, scan);
  for (const f of FIELDS) if (read[f] !== event[f]) return `${f}: ${String(read[f])} vs ${String(event[f])}`;
  if (Object.keys(read).length !== Object.keys(event).length) return `fields ${Object.keys(read).join()} vs ${Object.keys(event).join()}`;
  if (scan.quantity !== event.quantity || scan.unitPrice !== event.unitPrice) return `numbers ${scan.quantity} ${scan.unitPrice}`;
  if (text(b, scan.unitPriceStart, scan.unitPriceEnd) !== String(event.unitPrice)) return `price text ${text(b, scan.unitPriceStart, scan.unitPriceEnd)}`;
  if (scan.timeMs !== Date.parse(event.invoiceTime)) return `time ${scan.timeMs}`;
  if (scan.sourceLine !== (event.sourceLine ?? 0)) return `source line ${scan.sourceLine}`;
  return 'agrees';
}

function expectAgreement(b: Buffer, scan = new InvoiceLineScan()): boolean {
  const outcome = check(b, scan);
  if (outcome !== 'declined') expect([b.toString(), outcome]).toEqual([b.toString(), 'agrees']);
  return outcome === 'agrees';
}

const base: InvoiceLineEvent = {
  schema: INVOICE_LINE_V1,
  eventId: 'replay:f.csv:2',
  invoiceNo: '536365',
  stockCode: '85123A',
  description: 'WHITE HANGING HEART T-LIGHT HOLDER',
  quantity: 6,
  invoiceTime: '2016-11-29T08:26:00.000Z',
  unitPrice: 2.55,
  customerId: '17850',
  country: 'United Kingdom',
  source: 'replay:f.csv',
  sourceLine: 2,
};
const encoded = (e: Partial<InvoiceLineEvent>) => Buffer.from(encodeInvoiceLine({ ...base, ...e }));

describe('scanInvoiceLine', () => {
  it('reads every line of the seed data set exactly as the general decoder does', async () => {
    const scan = new InvoiceLineScan();
    let lines = 0;
    let scanned = 0;
    const problems: string[] = [];
    for await (const row of readInvoiceCsv(SEED)) {
      if (!row.ok) continue;
      lines++;
      const b = Buffer.from(encodeInvoiceLine(row.event));
      const outcome = check(b, scan);
      if (outcome === 'agrees') scanned++;
      // only lines with text outside printable ASCII or with escapes (a quote in a description) take the general path
      else if (outcome !== 'declined' || !/[^\x20-\x7e]|\\/.test(b.toString('utf8'))) problems.push(`${b.toString()}: ${outcome}`);
    }
    expect(problems.slice(0, 5)).toEqual([]);
    expect(lines).toBe(541_909);
    expect(scanned).toBeGreaterThan(540_000); // 99.8 %: the general path is the exception
  }, 120_000);

  it('reads optional and null fields, negative quantities and the extremes of the accepted ranges', () => {
    for (const e of [
      { description: null, customerId: null },
      { source: undefined, sourceLine: undefined },
      { sourceLine: undefined },
      { quantity: -12, invoiceNo: 'C536379' },
      { unitPrice: 0 },
      { unitPrice: -11062.06 },
      { unitPrice: 0.000001 },
      { unitPrice: 123456789012.345 },
      { invoiceTime: '1990-01-01T00:00:00.000Z' },
      { invoiceTime: '2099-12-31T23:59:59.999Z' },
      { invoiceTime: '2016-02-29T00:00:00.000Z' },
      { eventId: 'x'.repeat(200), description: ' '.repeat(1000) },
    ]) {
      expect(expectAgreement(encoded(e))).toBe(true);
    }
  });

  it('leaves everything else to the general path: other notations, normalised or invalid values', () => {
    const raw = (json: string) => Buffer.from(json);
    const canonical = encodeInvoiceLine(base);
    const declined = [
      raw(canonical.replace('"quantity":6', '"quantity":6.0')), // valid, but not the canonical notation
      raw(canonical.replace('"quantity":6', '"quantity":"6"')),
      raw(canonical.replace('"quantity":6', '"quantity":06')), // not JSON
      raw(canonical.replace('"quantity":6', '"quantity":0')), // invalid
      raw(canonical.replace('"unitPrice":2.55', '"unitPrice":2.550')),
      raw(canonical.replace('"unitPrice":2.55', '"unitPrice":-0')),
      raw(canonical.replace('"unitPrice":2.55', '"unitPrice":1e-7')),
      raw(canonical.replace('"unitPrice":2.55', '"unitPrice":0.0000001')),
      raw(canonical.replace('"unitPrice":2.55', '"unitPrice":1.2345678901234567')),
      raw(canonical.replace('"customerId":"17850"', '"customerId":"17850.0"')), // normalised to 17850
      raw(canonical.replace('"customerId":"17850"', '"customerId":" 17850"')),
      raw(canonical.replace('"customerId":"17850"', '"customerId":17850')),
      raw(canonical.replace('"description":"WHITE HANGING HEART T-LIGHT HOLDER"', '"description":""')), // → null
      raw(canonical.replace('HOLDER', 'HOLDER \\"XL\\"')), // escapes
      raw(canonical.replace('HOLDER', 'HÖLDER')), // non-ASCII
      raw(canonical.replace('2016-11-29T08:26:00.000Z', '2016-11-29 08:26:00')),
      raw(canonical.replace('2016-11-29T08:26:00.000Z', '2016-02-30T08:26:00.000Z')), // no such day
      raw(canonical.replace('2016-11-29T08:26:00.000Z', '1989-12-31T23:59:59.999Z')), // implausible
      raw(canonical.replace('"eventId":"replay:f.csv:2"', '"eventId":"   "')),
      raw(canonical.replace('"country":"United Kingdom"', '"country":""')),
      raw(canonical.replace('"sourceLine":2', '"sourceLine":0')),
      raw(canonical.replace('{"schema":"invoice-line/v1",', '{')), // schema omitted: valid, not canonical
      raw(canonical.replace('"schema":"invoice-line/v1"', '"schema":"invoice-line/v2"')),
      raw(`${canonical} `),
      raw(canonical.replace('}', ',"extra":1}')),
      raw(canonical.slice(0, -1)),
      raw(`[${canonical}]`),
      raw(''),
    ];
    const scan = new InvoiceLineScan();
    declined.forEach((b, i) => expect([i, scanInvoiceLine(b, scan)]).toEqual([i, false]));
  });

  it('never accepts a message the general decoder rejects or reads differently (random mutations)', () => {
    // deterministic pseudo-random mutations of canonical messages: replace, insert or delete one byte
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    const alphabet = Buffer.from('0123456789.-+eE ",:{}[]\\nulTZ/aA\t\u0001é');
    const samples = [encoded({}), encoded({ customerId: null, description: null }), encoded({ unitPrice: 0.5, quantity: -3 })];
    const scan = new InvoiceLineScan();
    let accepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const source = samples[i % samples.length]!;
      const at = random(source.length);
      const byte = alphabet[random(alphabet.length)]!;
      const kind = random(3);
      const mutated =
        kind === 0
          ? Buffer.concat([source.subarray(0, at), Buffer.from([byte]), source.subarray(at + 1)])
          : kind === 1
            ? Buffer.concat([source.subarray(0, at), Buffer.from([byte]), source.subarray(at)])
            : Buffer.concat([source.subarray(0, at), source.subarray(at + 1)]);
      if (expectAgreement(mutated, scan)) accepted++;
    }
    // many mutations keep a valid message (a digit for a digit, a letter in a text): those must agree too
    expect(accepted).toBeGreaterThan(1_000);
  });
});
