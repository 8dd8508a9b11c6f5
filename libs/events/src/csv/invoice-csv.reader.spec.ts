import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { CsvRow, detectInvoiceCsvFormat, readInvoiceCsv } from './invoice-csv.reader';

// The seed file's shape: cp1252 bytes, CRLF, a trailing comma, Excel quoting, d-Mon-yy dates.
const SEED_LINES = [
  'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,',
  '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,29-Nov-16,2.55,17850,United Kingdom,',
  '536381,82567,"AIRLINE LOUNGE,METAL SIGN",2,29-Nov-16,2.1,15311,United Kingdom,',
  '536477,22041,"RECORD FRAME 7"" SINGLE SIZE",48,1-Dec-16,2.1,,United Kingdom,',
  '539492,gift_0001_40,Dotcomgiftshop Gift Voucher \u00a340.00,1,18-Dec-16,34.04,,United Kingdom,',
  'C536379,D,Discount,-1,29-Nov-16,27.5,14527,Caf\u00e9 Land,',
  '536400,22000,BAD DATE,1,31-Feb-16,1.5,12345,France,',
  '536401,22001,BAD QTY,six,1-Dec-16,1.5,12345,France,',
  '536402,22002,BAD PRICE,1,1-Dec-16,abc,12345,France,',
  '536403,22003,TOO,MANY,FIELDS,1,1-Dec-16,1.5,12345,France,',
  '',
  '536404,22004,"UNTERMINATED,1,1-Dec-16,1.5,12345,France,',
  '536405,22005,LAST,3,7-Dec-17,4.95,12680,France,',
];

function cp1252(text: string): Buffer {
  // Every character used above is in latin1 and maps to the same cp1252 byte.
  return Buffer.from(text, 'latin1');
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'csv-reader-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function readAll(path: string, options?: Parameters<typeof readInvoiceCsv>[1]): Promise<CsvRow[]> {
  const rows: CsvRow[] = [];
  for await (const row of readInvoiceCsv(path, options)) rows.push(row);
  return rows;
}

describe('readInvoiceCsv (seed format)', () => {
  let path: string;
  beforeAll(() => {
    path = join(dir, 'Ecommerce.csv');
    writeFileSync(path, cp1252(SEED_LINES.join('\r\n') + '\r\n'));
  });

  it('yields one row per data line, events or failures, numbered from 1', async () => {
    const rows = await readAll(path);
    expect(rows.map((r) => r.line)).toEqual(Array.from({ length: SEED_LINES.length - 1 }, (_, i) => i + 1));
    expect(rows.map((r) => r.ok)).toEqual([true, true, true, true, true, false, false, false, false, false, false, true]);
  });

  it('parses Excel quoting, cp1252 text, dates at UTC midnight, and missing customers', async () => {
    const rows = await readAll(path);
    const events = rows.flatMap((r) => (r.ok ? [r.event] : []));
    expect(events[0]).toEqual({
      schema: 'invoice-line/v1',
      eventId: 'Ecommerce.csv:1',
      invoiceNo: '536365',
      stockCode: '85123A',
      description: 'WHITE HANGING HEART T-LIGHT HOLDER',
      quantity: 6,
      invoiceTime: '2016-11-29T00:00:00.000Z',
      unitPrice: 2.55,
      customerId: '17850',
      country: 'United Kingdom',
      source: 'replay:Ecommerce.csv',
      sourceLine: 1,
    });
    expect(events[1].description).toBe('AIRLINE LOUNGE,METAL SIGN');
    expect(events[2]).toMatchObject({ description: 'RECORD FRAME 7" SINGLE SIZE', customerId: null, invoiceTime: '2016-12-01T00:00:00.000Z' });
    expect(events[3].description).toBe('Dotcomgiftshop Gift Voucher £40.00');
    expect(events[4]).toMatchObject({ invoiceNo: 'C536379', quantity: -1, country: 'Café Land' });
    expect(events[5]).toMatchObject({ eventId: 'Ecommerce.csv:12', sourceLine: 12, invoiceTime: '2017-12-07T00:00:00.000Z' });
  });

  it('says why each bad line failed and keeps its text', async () => {
    const failures = (await readAll(path)).filter((r) => !r.ok);
    expect(failures).toEqual([
      { ok: false, line: 6, field: 'invoiceTime', reason: 'InvoiceDate must be a d-Mon-yy date (e.g. 29-Nov-16), got "31-Feb-16"', text: SEED_LINES[6] },
      { ok: false, line: 7, field: 'quantity', reason: 'quantity must be an integer, got "six"', text: SEED_LINES[7] },
      { ok: false, line: 8, field: 'unitPrice', reason: 'unitPrice must be a finite number, got "abc"', text: SEED_LINES[8] },
      { ok: false, line: 9, field: null, reason: 'expected 9 fields, got 11', text: SEED_LINES[9] },
      { ok: false, line: 10, field: null, reason: 'empty line', text: '' },
      { ok: false, line: 11, field: null, reason: 'unterminated quoted field 3', text: SEED_LINES[11] },
    ]);
  });

  it('reads the gzip-compressed file identically, with the same event ids', async () => {
    const gz = join(dir, 'Ecommerce.csv.gz');
    writeFileSync(gz, gzipSync(cp1252(SEED_LINES.join('\r\n') + '\r\n')));
    expect(await readAll(gz)).toEqual(await readAll(path));
  });

  it('gives the same rows whatever the read size (lines and multi-byte text split across chunks)', async () => {
    expect(await readAll(path, { chunkBytes: 7 })).toEqual(await readAll(path));
  });

  it('reads a file without a final line end', async () => {
    const p = join(dir, 'no-final-newline.csv');
    writeFileSync(p, cp1252(SEED_LINES.slice(0, 3).join('\r\n')));
    const rows = await readAll(p);
    expect(rows.map((r) => r.ok && r.event.eventId)).toEqual(['no-final-newline.csv:1', 'no-final-newline.csv:2']);
  });
});

describe('readInvoiceCsv (UCI format)', () => {
  const UCI = [
    'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country',
    '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,United Kingdom',
    '539492,gift_0001_40,Dotcomgiftshop Gift Voucher £40.00,1,2010-12-20 10:14:00,34.04,,United Kingdom',
    '536366,22633,HAND WARMER,6,2010-13-01 08:28:00,1.85,17850,United Kingdom',
  ];

  it('detects the format, decodes UTF-8 and keeps the time of day', async () => {
    const p = join(dir, 'online_retail.csv');
    writeFileSync(p, UCI.join('\n') + '\n', 'utf8');
    const reader = readInvoiceCsv(p);
    const rows: CsvRow[] = [];
    for await (const row of reader) rows.push(row);
    expect(reader.format).toBe('uci');
    expect(rows[0]).toMatchObject({ ok: true, event: { invoiceTime: '2010-12-01T08:26:00.000Z', customerId: '17850', eventId: 'online_retail.csv:1' } });
    expect(rows[1]).toMatchObject({ ok: true, event: { description: 'Dotcomgiftshop Gift Voucher £40.00', customerId: null } });
    expect(rows[2]).toMatchObject({ ok: false, line: 3, field: 'invoiceTime' });
  });

  it('rejects a file whose header lacks a column, naming it', async () => {
    const p = join(dir, 'bad-header.csv');
    writeFileSync(p, 'InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n1,2,3,2010-12-01,1,1,UK\n');
    await expect(readAll(p)).rejects.toThrow('the CSV header lacks column(s) description');
  });
});

describe('detectInvoiceCsvFormat', () => {
  it('goes by the first data line date shape, then by the header', () => {
    expect(detectInvoiceCsvFormat(Buffer.from('InvoiceNo,InvoiceDate\n1,29-Nov-16\n'))).toBe('seed');
    expect(detectInvoiceCsvFormat(Buffer.from('InvoiceNo,InvoiceDate\n1,2010-12-01 08:26:00\n'))).toBe('uci');
    expect(detectInvoiceCsvFormat(Buffer.from('InvoiceNo,InvoiceDate,\r\n'))).toBe('seed');
    expect(detectInvoiceCsvFormat(Buffer.from('InvoiceNo,InvoiceDate\n'))).toBe('uci');
  });
});
