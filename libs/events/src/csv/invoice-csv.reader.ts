import { once } from 'node:events';
import { createReadStream, promises as fsp, ReadStream } from 'node:fs';
import { basename } from 'node:path';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { InvoiceLineEvent } from '../invoice-line.event';
import { InvoiceLineField, validateInvoiceLine } from '../invoice-line.validator';
import { isIsoLikeTime, isSeedDate, parseIsoLikeTime, parseSeedDate } from '../invoice-time';
import { splitCsvLine } from './csv-line.splitter';

/**
 * `seed`: the seed project's `Ecommerce.csv` — cp1252, CRLF, trailing comma, `d-Mon-yy` dates (UTC midnight).
 * `uci`:  UCI Online Retail — UTF-8, LF, `YYYY-MM-DD HH:MM:SS` timestamps (taken as UTC).
 */
export type InvoiceCsvFormat = 'seed' | 'uci';

export interface CsvEventRow {
  ok: true;
  /** 1-based data line (the header is line 0). */
  line: number;
  event: InvoiceLineEvent;
}

export interface CsvFailedRow {
  ok: false;
  line: number;
  field: InvoiceLineField | null;
  reason: string;
  /** The line as it was in the file (decoded, without its line end). */
  text: string;
}

export type CsvRow = CsvEventRow | CsvFailedRow;

export interface InvoiceCsvOptions {
  /** Default `auto`: decided from the header and the first data line's date. */
  format?: InvoiceCsvFormat | 'auto';
  /** Used for event ids (`<sourceName>:<line>`) and `source` (`replay:<sourceName>`). Default: file name without `.gz`. */
  sourceName?: string;
  /**
   * Read size in bytes (default 64 KiB). Also the size of a batch: small batches keep few rows alive at a time,
   * which makes young-generation GC cheap (1 MiB batches made a replay's reading and encoding 3× slower).
   */
  chunkBytes?: number;
}

const COLUMNS = {
  invoiceNo: ['invoiceno', 'invoice'],
  stockCode: ['stockcode'],
  description: ['description'],
  quantity: ['quantity'],
  invoiceDate: ['invoicedate'],
  unitPrice: ['unitprice', 'price'],
  customerId: ['customerid', 'customer id'],
  country: ['country'],
} as const;
type Column = keyof typeof COLUMNS;

/** Event ids and sources name the file without `.gz`, so the compressed and plain copies yield the same ids. */
export function csvSourceName(path: string): string {
  return basename(path).replace(/\.gz$/i, '');
}

function isGzip(head: Buffer): boolean {
  return head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
}

/** Decides the format from the first bytes of the (decompressed) file. */
export function detectInvoiceCsvFormat(head: Buffer): InvoiceCsvFormat {
  const text = head.toString('latin1');
  const lines = text.split('\n', 3).map((l) => l.replace(/\r$/, ''));
  const header = lines[0] ?? '';
  const columns = header.replace(/^\uFEFF|^\u00ef\u00bb\u00bf/, '').split(',').map((c) => c.trim().toLowerCase());
  const dateIndex = columns.indexOf('invoicedate');
  if (dateIndex >= 0 && lines[1]) {
    const fields = splitCsvLine(lines[1]);
    const date = Array.isArray(fields) ? fields[dateIndex]?.trim() : undefined;
    if (date !== undefined && isSeedDate(date)) return 'seed';
    if (date !== undefined && isIsoLikeTime(date)) return 'uci';
  }
  return header.endsWith(',') || text.includes('\r\n') ? 'seed' : 'uci';
}

/**
 * A streaming reader of an invoice CSV file (plain or gzip). Iterating yields one `CsvRow` per data line — an
 * `invoice-line/v1` event or the reason the line is malformed, with its text — so nothing is silently dropped
 * (blank lines in the middle are failures too; only the final line end is not a row). `batches()` yields the
 * same rows an array per read chunk, which is what fast consumers use.
 */
export class InvoiceCsvReader implements AsyncIterable<CsvRow> {
  readonly sourceName: string;
  private detected: InvoiceCsvFormat | undefined;
  private raw: ReadStream | undefined;
  private total = 0;

  constructor(
    readonly path: string,
    private readonly options: InvoiceCsvOptions = {},
  ) {
    this.sourceName = options.sourceName ?? csvSourceName(path);
  }

  /** The format in use (known once the first batch has been read). */
  get format(): InvoiceCsvFormat | undefined {
    return this.detected;
  }

  /** Bytes of the file read so far (compressed bytes for `.gz`), for progress. */
  get bytesRead(): number {
    return this.raw?.bytesRead ?? 0;
  }

  /** File size in bytes (known once the first batch has been read). */
  get totalBytes(): number {
    return this.total;
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CsvRow> {
    for await (const rows of this.batches()) yield* rows;
  }

  async *batches(): AsyncGenerator<CsvRow[]> {
    const chunkBytes = this.options.chunkBytes ?? 1 << 16;
    const handle = await fsp.open(this.path, 'r');
    let head: Buffer;
    try {
      const probe = Buffer.alloc(2);
      await handle.read(probe, 0, 2, 0);
      head = probe;
      this.total = (await handle.stat()).size;
    } finally {
      await handle.close();
    }
    const raw = createReadStream(this.path, { highWaterMark: chunkBytes });
    this.raw = raw;
    let input: Readable = raw;
    if (isGzip(head)) {
      const gunzip = createGunzip({ chunkSize: chunkBytes });
      input = gunzip;
      pipeline(raw, gunzip, () => undefined); // errors surface through the gunzip iterator
    }
    const chunks = input[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
    try {
      // Gather the header and the first data line (or 64 KiB) to decide the format and thereby the encoding.
      const headChunks: Buffer[] = [];
      let headBytes = 0;
      let newlines = 0;
      while (newlines < 2 && headBytes < 1 << 16) {
        const next = await chunks.next();
        if (next.done) break;
        headChunks.push(next.value);
        headBytes += next.value.length;
        for (let at = next.value.indexOf(10); at >= 0 && newlines < 2; at = next.value.indexOf(10, at + 1)) newlines++;
      }
      if (headBytes === 0) throw new Error(`${this.path}: empty file, expected a CSV header`);
      const first = { value: headChunks.length === 1 ? headChunks[0] : Buffer.concat(headChunks) };
      const format = this.options.format && this.options.format !== 'auto' ? this.options.format : detectInvoiceCsvFormat(first.value);
      this.detected = format;
      const decoder = new TextDecoder(format === 'seed' ? 'windows-1252' : 'utf-8');
      const parser = new LineParser(format, this.sourceName, this.path);
      let pending = decoder.decode(first.value, { stream: true });
      let next: IteratorResult<Buffer> = { done: false, value: Buffer.alloc(0) };
      for (;;) {
        const cut = pending.lastIndexOf('\n');
        if (cut >= 0) {
          const rows = parser.lines(pending.slice(0, cut).split('\n'));
          pending = pending.slice(cut + 1);
          if (rows.length > 0) yield rows;
        }
        next = await chunks.next();
        if (next.done) break;
        pending += decoder.decode(next.value, { stream: true });
      }
      pending += decoder.decode();
      if (pending.length > 0 && pending !== '\r') {
        const rows = parser.lines([pending]);
        if (rows.length > 0) yield rows;
      }
      if (!parser.sawHeader) throw new Error(`${this.path}: no CSV header line`);
    } finally {
      raw.destroy();
      if (input !== raw) input.destroy();
      if (!raw.closed) await once(raw, 'close').catch(() => undefined);
    }
  }
}

/** Turns decoded lines into rows; keeps the line count and header mapping across chunks. */
class LineParser {
  sawHeader = false;
  private line = 0;
  private index: Record<Column, number> = {} as Record<Column, number>;
  private width = 0;
  private trailingEmpty = false;
  private readonly source: string;
  private readonly dates = new Map<string, string | null>();
  private readonly parseDate: (text: string) => number | null;
  private readonly dateExample: string;

  constructor(
    format: InvoiceCsvFormat,
    private readonly sourceName: string,
    private readonly path: string,
  ) {
    this.source = `replay:${sourceName}`;
    this.parseDate = format === 'seed' ? parseSeedDate : parseIsoLikeTime;
    this.dateExample = format === 'seed' ? 'a d-Mon-yy date (e.g. 29-Nov-16)' : 'a YYYY-MM-DD HH:MM:SS time';
  }

  lines(lines: string[]): CsvRow[] {
    const rows: CsvRow[] = [];
    let i = 0;
    if (!this.sawHeader) {
      this.header(lines[0]);
      i = 1;
    }
    for (; i < lines.length; i++) {
      let text = lines[i];
      if (text.charCodeAt(text.length - 1) === 13) text = text.slice(0, -1);
      rows.push(this.row(++this.line, text));
    }
    return rows;
  }

  private header(line: string): void {
    const names = line.replace(/\r$/, '').replace(/^\uFEFF/, '').split(',').map((c) => c.trim().toLowerCase());
    const missing: string[] = [];
    for (const column of Object.keys(COLUMNS) as Column[]) {
      const at = names.findIndex((n) => (COLUMNS[column] as readonly string[]).includes(n));
      if (at < 0) missing.push(COLUMNS[column][0]);
      this.index[column] = at;
    }
    if (missing.length > 0) throw new Error(`${this.path}: the CSV header lacks column(s) ${missing.join(', ')}`);
    this.width = names.length;
    this.trailingEmpty = names[names.length - 1] === '';
    this.sawHeader = true;
  }

  private row(line: number, text: string): CsvRow {
    if (text.length === 0) return { ok: false, line, field: null, reason: 'empty line', text };
    const f = splitCsvLine(text);
    if (typeof f === 'string') return { ok: false, line, field: null, reason: f, text };
    if (f.length !== this.width && !(this.trailingEmpty && f.length === this.width - 1)) {
      return { ok: false, line, field: null, reason: `expected ${this.width} fields, got ${f.length}`, text };
    }
    const ix = this.index;
    const dateText = f[ix.invoiceDate];
    let invoiceTime = this.dates.get(dateText);
    if (invoiceTime === undefined) {
      const ms = this.parseDate(dateText.trim());
      invoiceTime = ms === null ? null : new Date(ms).toISOString();
      if (this.dates.size > 100_000) this.dates.clear();
      this.dates.set(dateText, invoiceTime);
    }
    if (invoiceTime === null) {
      const shown = dateText.length > 40 ? `${dateText.slice(0, 40)}…` : dateText;
      return { ok: false, line, field: 'invoiceTime', reason: `InvoiceDate must be ${this.dateExample}, got "${shown}"`, text };
    }
    const customerId = f[ix.customerId];
    const result = validateInvoiceLine({
      eventId: `${this.sourceName}:${line}`,
      invoiceNo: f[ix.invoiceNo],
      stockCode: f[ix.stockCode],
      description: f[ix.description],
      quantity: f[ix.quantity],
      invoiceTime,
      unitPrice: f[ix.unitPrice],
      customerId: customerId === '' ? null : customerId,
      country: f[ix.country],
      source: this.source,
      sourceLine: line,
    });
    return result.ok ? { ok: true, line, event: result.event } : { ok: false, line, field: result.field, reason: result.reason, text };
  }
}

/** Shorthand: `for await (const row of readInvoiceCsv(path)) ...`. */
export function readInvoiceCsv(path: string, options?: InvoiceCsvOptions): InvoiceCsvReader {
  return new InvoiceCsvReader(path, options);
}
