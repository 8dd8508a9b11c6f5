import type { InvoiceLineEvent, InvoiceLineScan } from '@insiders/events';

/**
 * The invoice_lines columns the consumer's TabSeparated rows carry, in order, with their types (the structure the
 * engine reads the rows with; the integration test checks them against the table). `ingested_at` and `batch_seq`
 * are the same for every row of a storage round: the insert adds them (see FeaturesRepository.insertLines).
 */
export const RAW_COLUMNS = [
  ['event_id', 'String'],
  ['schema', 'String'],
  ['invoice_no', 'String'],
  ['stock_code', 'String'],
  ['description', 'Nullable(String)'],
  ['quantity', 'Int64'],
  ['invoice_time', "DateTime64(3, 'UTC')"],
  ['unit_price', 'Float64'],
  ['customer_id', 'Nullable(String)'],
  ['country', 'String'],
  ['source', 'String'],
  ['source_line', 'UInt64'],
  ['customer_key', 'String'],
  ['topic', 'String'],
  ['partition', 'UInt32'],
  ['offset', 'UInt64'],
] as const;

export type RawColumn = (typeof RAW_COLUMNS)[number][0];

/**
 * One consumed batch's rows as TabSeparated bytes: row i is `bytes[ends[i - 1] (0 for the first) .. ends[i])`,
 * newline-terminated; its event id (escaped) is the row's first `idEnds[i]` - row start bytes.
 */
export interface RawRows {
  bytes: Buffer;
  ends: Int32Array;
  idEnds: Int32Array;
}

/** Where row `i` of `rows` starts. */
export const rowStart = (rows: Pick<RawRows, 'ends'>, i: number): number => (i === 0 ? 0 : rows.ends[i - 1]!);

const TAB = 0x09;
const NEWLINE = 0x0a;
const SPACE = 0x20;
const ZERO = 0x30;
const NUL = Buffer.from('\\N');
const INVOICE_KEY = Buffer.from('invoice:');
const SCHEMA = Buffer.from('\tinvoice-line/v1\t');

/** TabSeparated escaping of one value. */
export function tsvEscape(value: string): string {
  return /[\\\t\n\r]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/\t/g, '\\t').replace(/\n/g, '\\n').replace(/\r/g, '\\r') : value;
}

/**
 * Writes a batch's invoice_lines rows straight into one growing buffer: from scanned message bytes (the canonical
 * encoding: fields are copied, nothing is decoded into strings) or from a decoded event (the general path). Both
 * give the same bytes for the same event (checked over the seed data set in the spec). Strings of the canonical
 * encoding are printable ASCII without backslashes, so they need no TabSeparated escaping.
 */
export class RawRowsBuilder {
  private bytes: Buffer;
  private pos = 0;
  private readonly ends: number[] = [];
  private readonly idEnds: number[] = [];
  /** `\t<topic>\t<partition>\t`: the same for every row of the batch. */
  private readonly afterKey: Uint8Array;

  constructor(topic: string, partition: number, expectedBytes = 64 * 1024) {
    this.bytes = Buffer.allocUnsafe(Math.max(1024, expectedBytes));
    this.afterKey = Buffer.from(`\t${tsvEscape(topic)}\t${Math.trunc(partition)}\t`);
  }

  /** A row from a message `scanInvoiceLine` accepted (`scan` describes `message`). */
  addScanned(message: Uint8Array, s: InvoiceLineScan, offset: string): void {
    this.reserve(2 * message.length + this.afterKey.length + offset.length + 64);
    // locals and one copy function: this runs for every message (see bench/features)
    const b = this.bytes;
    let p = copy(message, s.eventIdStart, s.eventIdEnd, b, this.pos);
    this.idEnds.push(p);
    p = copy(SCHEMA, 0, SCHEMA.length, b, p);
    p = copy(message, s.invoiceNoStart, s.invoiceNoEnd, b, p);
    b[p++] = TAB;
    p = copy(message, s.stockCodeStart, s.stockCodeEnd, b, p);
    b[p++] = TAB;
    p = s.descriptionStart < 0 ? copy(NUL, 0, 2, b, p) : copy(message, s.descriptionStart, s.descriptionEnd, b, p);
    b[p++] = TAB;
    p = copy(message, s.quantityStart, s.quantityEnd, b, p);
    b[p++] = TAB;
    p = copy(message, s.timeStart, s.timeStart + 23, b, p);
    b[p - 13] = SPACE; // the ISO "T" → ClickHouse's "YYYY-MM-DD HH:MM:SS.mmm"
    b[p++] = TAB;
    p = copy(message, s.unitPriceStart, s.unitPriceEnd, b, p);
    b[p++] = TAB;
    p = s.customerIdStart < 0 ? copy(NUL, 0, 2, b, p) : copy(message, s.customerIdStart, s.customerIdEnd, b, p);
    b[p++] = TAB;
    p = copy(message, s.countryStart, s.countryEnd, b, p);
    b[p++] = TAB;
    if (s.sourceStart >= 0) p = copy(message, s.sourceStart, s.sourceEnd, b, p);
    b[p++] = TAB;
    if (s.sourceLineStart >= 0) p = copy(message, s.sourceLineStart, s.sourceLineEnd, b, p);
    else b[p++] = ZERO;
    b[p++] = TAB;
    if (s.customerIdStart >= 0) p = copy(message, s.customerIdStart, s.customerIdEnd, b, p);
    else p = copy(message, s.invoiceNoStart, s.invoiceNoEnd, b, copy(INVOICE_KEY, 0, INVOICE_KEY.length, b, p));
    this.pos = p;
    this.endRow(offset);
  }

  /** A row from a decoded event (messages outside the canonical encoding). */
  addEvent(e: InvoiceLineEvent, offset: string): void {
    const fields = [
      tsvEscape(e.eventId),
      tsvEscape(e.schema),
      tsvEscape(e.invoiceNo),
      tsvEscape(e.stockCode),
      e.description === null ? '\\N' : tsvEscape(e.description),
      String(e.quantity),
      e.invoiceTime.slice(0, 23).replace('T', ' '),
      String(e.unitPrice),
      e.customerId === null ? '\\N' : tsvEscape(e.customerId),
      tsvEscape(e.country),
      e.source === undefined ? '' : tsvEscape(e.source),
      String(e.sourceLine ?? 0),
      tsvEscape(e.customerId ?? `invoice:${e.invoiceNo}`),
    ].join('\t');
    this.reserve(3 * fields.length + this.afterKey.length + offset.length + 16);
    this.idEnds.push(this.pos + Buffer.byteLength(fields.slice(0, fields.indexOf('\t')), 'utf8'));
    this.pos += this.bytes.write(fields, this.pos, 'utf8');
    this.endRow(offset);
  }

  /** The buffer being written (replaced when it grows; byte offsets stay valid). */
  get buffer(): Buffer {
    return this.bytes;
  }

  /** Where the last row added starts, and where its event id ends. */
  get lastRowStart(): number {
    return this.ends.length < 2 ? 0 : this.ends[this.ends.length - 2]!;
  }

  get lastIdEnd(): number {
    return this.idEnds[this.idEnds.length - 1]!;
  }

  /** Takes the last row added back (a duplicate found after writing it). */
  dropLastRow(): void {
    this.pos = this.lastRowStart;
    this.ends.pop();
    this.idEnds.pop();
  }

  finish(): RawRows {
    return { bytes: this.bytes.subarray(0, this.pos), ends: Int32Array.from(this.ends), idEnds: Int32Array.from(this.idEnds) };
  }

  /** `<customer_key>` was written: `\t<topic>\t<partition>\t<offset>\n`. */
  private endRow(offset: string): void {
    const b = this.bytes;
    let p = copy(this.afterKey, 0, this.afterKey.length, b, this.pos);
    for (let i = 0; i < offset.length; i++) b[p++] = offset.charCodeAt(i);
    b[p++] = NEWLINE;
    this.pos = p;
    this.ends.push(p);
  }

  private reserve(bytes: number): void {
    if (this.pos + bytes <= this.bytes.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.bytes.length * 2, this.pos + bytes));
    this.bytes.copy(grown, 0, 0, this.pos);
    this.bytes = grown;
  }
}

/** Copies from[start, end) to `to` at `at` (short ranges: a loop beats Buffer#copy's per-call cost); the end. */
function copy(from: Uint8Array, start: number, end: number, to: Uint8Array, at: number): number {
  for (let i = start; i < end; i++) to[at++] = from[i];
  return at;
}

/** The event ids of the kept rows (`keep[i]` = 1) as TabSeparated bytes, one per line, in row order. */
export function roundEventIds(parts: readonly { rows: RawRows; keep: Uint8Array }[]): Buffer {
  let bytes = 0;
  for (const { rows, keep } of parts) for (let i = 0; i < keep.length; i++) if (keep[i]) bytes += rows.idEnds[i]! - rowStart(rows, i) + 1;
  const out = Buffer.allocUnsafe(bytes);
  let p = 0;
  for (const { rows, keep } of parts) {
    for (let i = 0; i < keep.length; i++) {
      if (!keep[i]) continue;
      p = copy(rows.bytes, rowStart(rows, i), rows.idEnds[i]!, out, p);
      out[p++] = NEWLINE;
    }
  }
  return out;
}

/**
 * The TabSeparated rows of one storage round: the kept rows of every part (`keep[i]` = 1), as pieces of the parts'
 * buffers (runs of kept rows; a part whose rows are all kept, the usual case, is one piece). Nothing is copied.
 */
export function roundPieces(parts: readonly { rows: RawRows; keep: Uint8Array }[]): { pieces: Buffer[]; rows: number } {
  const pieces: Buffer[] = [];
  let rows = 0;
  for (const { rows: r, keep } of parts) {
    const { bytes, ends } = r;
    let runStart = -1; // byte offset where the current run of kept rows starts
    for (let i = 0; i < ends.length; i++) {
      const start = i === 0 ? 0 : ends[i - 1];
      if (keep[i] === 0) {
        if (runStart >= 0) pieces.push(bytes.subarray(runStart, start));
        runStart = -1;
        continue;
      }
      if (runStart < 0) runStart = start;
      rows++;
    }
    if (runStart >= 0) pieces.push(bytes.subarray(runStart, ends.length === 0 ? 0 : ends[ends.length - 1]));
  }
  return { pieces, rows };
}
