import { decodeInvoiceLine, encodeInvoiceLine, INVOICE_LINE_V1, InvoiceLineScan, scanInvoiceLine, type InvoiceLineEvent } from '@insiders/events';
import { RAW_COLUMNS, RawRowsBuilder, roundEventIds, roundPieces, rowStart, type RawRows } from './raw-rows.builder';
import { readSeedEvents } from './testing/features.fixtures';

const rowsOf = (r: RawRows) => Array.from(r.ends, (end, i) => r.bytes.toString('utf8', i === 0 ? 0 : r.ends[i - 1], end));

const event: InvoiceLineEvent = {
  schema: INVOICE_LINE_V1,
  eventId: 'replay:f.csv:2',
  invoiceNo: '536365',
  stockCode: '85123A',
  description: 'WHITE HANGING HEART',
  quantity: -6,
  invoiceTime: '2016-11-29T08:26:00.000Z',
  unitPrice: 2.55,
  customerId: null,
  country: 'United Kingdom',
  source: 'replay:f.csv',
  sourceLine: 2,
};

describe('RawRowsBuilder', () => {
  it('writes the columns of RAW_COLUMNS in order (ingested_at and batch_seq are added per round)', () => {
    const builder = new RawRowsBuilder('shop.invoice-lines.v1', 4, 16);
    builder.addEvent(event, '41');
    builder.addEvent({ ...event, description: 'tab\there \\ and\nnewline', customerId: '17850', source: undefined, sourceLine: undefined }, '42');
    const [a, b] = rowsOf(builder.finish());
    expect(a!.split('\t')).toEqual([
      'replay:f.csv:2', 'invoice-line/v1', '536365', '85123A', 'WHITE HANGING HEART', '-6', '2016-11-29 08:26:00.000', '2.55', '\\N',
      'United Kingdom', 'replay:f.csv', '2', 'invoice:536365', 'shop.invoice-lines.v1', '4', '41\n',
    ]);
    expect(a!.split('\t')).toHaveLength(RAW_COLUMNS.length);
    expect(b!.split('\t').slice(4, 13)).toEqual(['tab\\there \\\\ and\\nnewline', '-6', '2016-11-29 08:26:00.000', '2.55', '17850', 'United Kingdom', '', '0', '17850']);
  });

  it('gives the same bytes from scanned messages as from decoded events, for every line of the seed data set', async () => {
    const events = await readSeedEvents();
    const scan = new InvoiceLineScan();
    const scanned = new RawRowsBuilder('t', 0);
    const decoded = new RawRowsBuilder('t', 0);
    let fast = 0;
    events.forEach((e, i) => {
      const message = Buffer.from(encodeInvoiceLine(e));
      if (scanInvoiceLine(message, scan)) {
        scanned.addScanned(message, scan, String(i));
        fast++;
      } else scanned.addEvent(decodeInvoiceLine(message), String(i));
      decoded.addEvent(decodeInvoiceLine(message), String(i));
    });
    expect(fast).toBeGreaterThan(540_000);
    const a = scanned.finish();
    const b = decoded.finish();
    expect(a.ends).toEqual(b.ends);
    expect(a.idEnds).toEqual(b.idEnds);
    expect(a.bytes.equals(b.bytes)).toBe(true);
    // every row's id range holds its event id
    expect(Array.from(a.ends, (_, i) => a.bytes.toString('utf8', rowStart(a, i), a.idEnds[i]))).toEqual(events.map((e) => e.eventId.replace(/\\/g, '\\\\')));
  }, 60_000);
});

describe('event id ranges', () => {
  it('marks where each row\'s escaped id ends, takes the last row back, and lists the kept ids', () => {
    const builder = new RawRowsBuilder('t', 0, 16);
    builder.addEvent({ ...event, eventId: 'tab\there' }, '1');
    builder.addEvent({ ...event, eventId: 'dropped' }, '2');
    expect(builder.buffer.toString('utf8', builder.lastRowStart, builder.lastIdEnd)).toBe('dropped');
    builder.dropLastRow();
    builder.addEvent({ ...event, eventId: 'é:1' }, '3');
    builder.addEvent({ ...event, eventId: 'back\\slash' }, '4');
    const rows = builder.finish();
    expect(rowsOf(rows).map((r) => r.split('\t').at(-1))).toEqual(['1\n', '3\n', '4\n']);
    expect(Array.from(rows.ends, (_, i) => rows.bytes.toString('utf8', rowStart(rows, i), rows.idEnds[i]))).toEqual(['tab\\there', 'é:1', 'back\\\\slash']);
    expect(roundEventIds([{ rows, keep: Uint8Array.from([1, 0, 1]) }]).toString('utf8')).toBe('tab\\there\nback\\\\slash\n');
  });
});

describe('roundPieces', () => {
  it('keeps the marked rows of every part in order, as runs of the parts\' own bytes', () => {
    const part = (partition: number, n: number) => {
      const builder = new RawRowsBuilder('t', partition);
      for (let i = 0; i < n; i++) builder.addEvent({ ...event, eventId: `p${partition}:${i}` }, String(i));
      return builder.finish();
    };
    const parts = [
      { rows: part(0, 3), keep: Uint8Array.from([1, 0, 1]) },
      { rows: part(1, 2), keep: Uint8Array.from([0, 0]) },
      { rows: part(2, 2), keep: Uint8Array.from([1, 1]) },
    ];
    const { pieces, rows } = roundPieces(parts);
    expect(rows).toBe(4);
    expect(pieces).toHaveLength(3); // p0:0, p0:2, then both rows of part 2 as one run
    expect(pieces[2]!.buffer).toBe(parts[2]!.rows.bytes.buffer); // not copied
    const lines = Buffer.concat(pieces).toString().split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => l.split('\t')[0])).toEqual(['p0:0', 'p0:2', 'p2:0', 'p2:1']);
    expect(roundPieces([{ rows: part(3, 1), keep: Uint8Array.from([0]) }])).toEqual({ pieces: [], rows: 0 });
  });
});
