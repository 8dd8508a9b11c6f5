import { EVENT_ID_MAX } from './invoice-line.validator';

/**
 * A fast, allocation-free reader of the canonical `invoice-line/v1` wire encoding — exactly what
 * `encodeInvoiceLine` writes for a validated event: compact JSON, the contract's fields in the contract's order,
 * ASCII strings without escapes, integers, prices in JavaScript's own number notation, ISO-8601 UTC times with
 * milliseconds. Consumers read hundreds of thousands of lines per second; `JSON.parse` + the validator build an
 * object tree per line whose garbage collection costs more than the parsing.
 *
 * `scanInvoiceLine` accepts a message only when `decodeInvoiceLine` would accept it and produce an event whose
 * fields are byte for byte the ranges recorded here (numbers: the same values, whose JavaScript text is the
 * recorded text). Anything else — other field orders, whitespace, escapes, non-ASCII text, numbers in other
 * notations, values the validator normalises (an empty description, a customer id `"17850.0"`) or rejects —
 * returns false, and the caller takes the general path (`decodeInvoiceLine`). The equivalence is checked line by
 * line over the seed data set and over mutated messages in the spec.
 */
export class InvoiceLineScan {
  /** [start, end) byte ranges of string contents (between the quotes) in the scanned message. */
  eventIdStart = 0;
  eventIdEnd = 0;
  invoiceNoStart = 0;
  invoiceNoEnd = 0;
  stockCodeStart = 0;
  stockCodeEnd = 0;
  /** -1 when the description is null. */
  descriptionStart = -1;
  descriptionEnd = -1;
  quantityStart = 0;
  quantityEnd = 0;
  quantity = 0;
  /** The 24 bytes `YYYY-MM-DDTHH:MM:SS.mmmZ` start here. */
  timeStart = 0;
  timeMs = 0;
  unitPriceStart = 0;
  unitPriceEnd = 0;
  unitPrice = 0;
  /** -1 when the customer id is null. */
  customerIdStart = -1;
  customerIdEnd = -1;
  countryStart = 0;
  countryEnd = 0;
  /** -1 when the event has no source. */
  sourceStart = -1;
  sourceEnd = -1;
  /** 0 when the event has no source line (the raw table's convention), else its range and value. */
  sourceLine = 0;
  sourceLineStart = -1;
  sourceLineEnd = -1;
}

const ID_MAX = 200; // invoiceNo, stockCode, customerId, country, source (the validator's limits)
const TEXT_MAX = 1000; // description
const TIME_LENGTH = 24;

const ascii = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));
const HEAD = ascii('{"schema":"invoice-line/v1","eventId":');
const INVOICE_NO = ascii(',"invoiceNo":');
const STOCK_CODE = ascii(',"stockCode":');
const DESCRIPTION = ascii(',"description":');
const QUANTITY = ascii(',"quantity":');
const INVOICE_TIME = ascii(',"invoiceTime":');
const UNIT_PRICE = ascii(',"unitPrice":');
const CUSTOMER_ID = ascii(',"customerId":');
const COUNTRY = ascii(',"country":');
const SOURCE = ascii(',"source":');
const SOURCE_LINE = ascii(',"sourceLine":');

const QUOTE = 0x22;
const SPACE = 0x20;
const ZERO = 0x30;
const NINE = 0x39;
const MINUS = 0x2d;
const DOT = 0x2e;

/** Position after `literal` at `pos`, or -1. */
function literal(b: Uint8Array, pos: number, lit: Uint8Array): number {
  if (pos + lit.length > b.length) return -1;
  for (let i = 0; i < lit.length; i++) if (b[pos + i] !== lit[i]) return -1;
  return pos + lit.length;
}

/**
 * A quoted string of printable ASCII at `pos` (no escapes, no control characters: those take the general path).
 * Returns the position of the closing quote, or -1.
 */
function quoted(b: Uint8Array, pos: number): number {
  if (b[pos] !== QUOTE) return -1;
  for (let i = pos + 1; i < b.length; i++) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c < SPACE || c > 0x7e || c === 0x5c) return -1;
  }
  return -1;
}

/** The validator's required text: non-empty after trimming (printable ASCII: only spaces trim), at most `max`. */
function isRequiredText(b: Uint8Array, start: number, end: number, max: number): boolean {
  if (end - start > max) return false;
  for (let i = start; i < end; i++) if (b[i] !== SPACE) return true;
  return false;
}

/** JSON `null` at pos. */
function isNull(b: Uint8Array, pos: number): boolean {
  return b[pos] === 0x6e && b[pos + 1] === 0x75 && b[pos + 2] === 0x6c && b[pos + 3] === 0x6c;
}

// Integer scanning result (module state: no allocation per number).
let numberEnd = 0;
let numberValue = 0;

/**
 * A JSON integer at `pos` in canonical form (`-?(0|[1-9][0-9]*)`, at most 15 digits: always a safe integer).
 * Sets numberEnd / numberValue; false when the text is not such an integer.
 */
function integer(b: Uint8Array, pos: number): boolean {
  let i = pos;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const first = i;
  let value = 0;
  while (i < b.length && b[i] >= ZERO && b[i] <= NINE) value = value * 10 + (b[i++] - ZERO);
  const digits = i - first;
  if (digits === 0 || digits > 15 || (digits > 1 && b[first] === ZERO)) return false;
  numberEnd = i;
  numberValue = negative ? -value : value;
  return true;
}

const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k); // exact doubles up to 1e22

/**
 * A price in JavaScript's own notation for the number it denotes (`String(n)` gives back the same text):
 * `-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?`, at most 15 significant digits, not -0, and not below 1e-6 (JavaScript writes
 * those with an exponent). With at most 15 significant digits the quotient of two exact doubles is the correctly
 * rounded value, the same number `JSON.parse` gives. Sets numberEnd / numberValue.
 */
function price(b: Uint8Array, pos: number): boolean {
  let i = pos;
  const negative = b[i] === MINUS;
  if (negative) i++;
  const first = i;
  let mantissa = 0;
  let significant = 0;
  while (i < b.length && b[i] >= ZERO && b[i] <= NINE) {
    const d = b[i++] - ZERO;
    mantissa = mantissa * 10 + d;
    if (significant > 0 || d !== 0) significant++;
  }
  const intDigits = i - first;
  if (intDigits === 0 || (intDigits > 1 && b[first] === ZERO)) return false;
  let fraction = 0;
  if (b[i] === DOT) {
    i++;
    const fractionStart = i;
    while (i < b.length && b[i] >= ZERO && b[i] <= NINE) {
      const d = b[i++] - ZERO;
      mantissa = mantissa * 10 + d;
      if (significant > 0 || d !== 0) significant++;
    }
    fraction = i - fractionStart;
    if (fraction === 0 || b[i - 1] === ZERO) return false; // "1." or a trailing zero: not JavaScript's text
  }
  if (significant > 15) return false;
  if (mantissa === 0) {
    if (negative || fraction > 0) return false; // -0 (the validator turns it into 0) or 0.0
  } else if (fraction > 6 && mantissa < POWERS_OF_TEN[fraction - 6]) {
    return false; // below 1e-6: JavaScript writes 1e-7
  }
  const value = fraction === 0 ? mantissa : mantissa / POWERS_OF_TEN[fraction];
  numberEnd = i;
  numberValue = negative ? -value : value;
  return true;
}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// The last time scanned (consecutive lines of an invoice share it): its bytes and value.
const lastTime = new Uint8Array(TIME_LENGTH);
let lastTimeMs = Number.NaN;

function digits2(b: Uint8Array, at: number): number {
  const h = b[at] - ZERO;
  const l = b[at + 1] - ZERO;
  return h >= 0 && h <= 9 && l >= 0 && l <= 9 ? h * 10 + l : -1;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.mmmZ` at `at` (24 bytes): an existing date in 1990..2099 (the validator's plausible range),
 * which `new Date(ms).toISOString()` writes back identically. Returns the epoch milliseconds or NaN.
 */
function isoTime(b: Uint8Array, at: number): number {
  let same = !Number.isNaN(lastTimeMs);
  for (let i = 0; same && i < TIME_LENGTH; i++) same = b[at + i] === lastTime[i];
  if (same) return lastTimeMs;
  if (b[at + 4] !== MINUS || b[at + 7] !== MINUS || b[at + 10] !== 0x54 || b[at + 13] !== 0x3a || b[at + 16] !== 0x3a) return Number.NaN;
  if (b[at + 19] !== DOT || b[at + 23] !== 0x5a) return Number.NaN;
  const century = digits2(b, at);
  const yy = digits2(b, at + 2);
  const month = digits2(b, at + 5);
  const day = digits2(b, at + 8);
  const hour = digits2(b, at + 11);
  const minute = digits2(b, at + 14);
  const second = digits2(b, at + 17);
  const msHigh = digits2(b, at + 20);
  const msLow = b[at + 22] - ZERO;
  if (century < 0 || yy < 0 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return Number.NaN;
  if (msHigh < 0 || msLow < 0 || msLow > 9 || month < 1 || month > 12) return Number.NaN;
  const year = century * 100 + yy;
  if (year < 1990 || year > 2099) return Number.NaN;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1] + (month === 2 && leap ? 1 : 0)) return Number.NaN;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second, msHigh * 10 + msLow);
  for (let i = 0; i < TIME_LENGTH; i++) lastTime[i] = b[at + i];
  lastTimeMs = ms;
  return ms;
}

/**
 * Reads a message in the canonical encoding into `scan`. Returns false — `scan` then holds partial results — when
 * the message is not in that encoding or is not valid; `decodeInvoiceLine` then decides (and names the field).
 */
export function scanInvoiceLine(b: Uint8Array, scan: InvoiceLineScan): boolean {
  let p = literal(b, 0, HEAD);
  if (p < 0) return false;
  // eventId
  let end = quoted(b, p);
  if (end < 0 || !isRequiredText(b, p + 1, end, EVENT_ID_MAX)) return false;
  scan.eventIdStart = p + 1;
  scan.eventIdEnd = end;
  // invoiceNo
  p = literal(b, end + 1, INVOICE_NO);
  if (p < 0 || (end = quoted(b, p)) < 0 || !isRequiredText(b, p + 1, end, ID_MAX)) return false;
  scan.invoiceNoStart = p + 1;
  scan.invoiceNoEnd = end;
  // stockCode
  p = literal(b, end + 1, STOCK_CODE);
  if (p < 0 || (end = quoted(b, p)) < 0 || !isRequiredText(b, p + 1, end, ID_MAX)) return false;
  scan.stockCodeStart = p + 1;
  scan.stockCodeEnd = end;
  // description: null or a non-empty string (the validator turns "" into null)
  p = literal(b, end + 1, DESCRIPTION);
  if (p < 0) return false;
  if (isNull(b, p)) {
    scan.descriptionStart = scan.descriptionEnd = -1;
    end = p + 3;
  } else {
    if ((end = quoted(b, p)) < 0 || end === p + 1 || end - p - 1 > TEXT_MAX) return false;
    scan.descriptionStart = p + 1;
    scan.descriptionEnd = end;
  }
  // quantity: a non-zero integer
  p = literal(b, end + 1, QUANTITY);
  if (p < 0 || !integer(b, p) || numberValue === 0) return false;
  scan.quantityStart = p;
  scan.quantityEnd = numberEnd;
  scan.quantity = numberValue;
  // invoiceTime
  p = literal(b, numberEnd, INVOICE_TIME);
  if (p < 0 || b[p] !== QUOTE || b[p + 1 + TIME_LENGTH] !== QUOTE) return false;
  const ms = isoTime(b, p + 1);
  if (Number.isNaN(ms)) return false;
  scan.timeStart = p + 1;
  scan.timeMs = ms;
  // unitPrice
  p = literal(b, p + TIME_LENGTH + 2, UNIT_PRICE);
  if (p < 0 || !price(b, p)) return false;
  scan.unitPriceStart = p;
  scan.unitPriceEnd = numberEnd;
  scan.unitPrice = numberValue;
  // customerId: null or an id the validator keeps as is (no surrounding spaces, no "123.0" form)
  p = literal(b, numberEnd, CUSTOMER_ID);
  if (p < 0) return false;
  if (isNull(b, p)) {
    scan.customerIdStart = scan.customerIdEnd = -1;
    end = p + 3;
  } else {
    if ((end = quoted(b, p)) < 0 || end === p + 1 || end - p - 1 > ID_MAX) return false;
    if (b[p + 1] === SPACE || b[end - 1] === SPACE) return false;
    for (let i = p + 1; i < end; i++) if (b[i] === DOT) return false;
    scan.customerIdStart = p + 1;
    scan.customerIdEnd = end;
  }
  // country
  p = literal(b, end + 1, COUNTRY);
  if (p < 0 || (end = quoted(b, p)) < 0 || !isRequiredText(b, p + 1, end, ID_MAX)) return false;
  scan.countryStart = p + 1;
  scan.countryEnd = end;
  p = end + 1;
  // optional source, then optional sourceLine (a positive integer)
  scan.sourceStart = scan.sourceEnd = -1;
  const afterSource = literal(b, p, SOURCE);
  if (afterSource >= 0) {
    if ((end = quoted(b, afterSource)) < 0 || !isRequiredText(b, afterSource + 1, end, ID_MAX)) return false;
    scan.sourceStart = afterSource + 1;
    scan.sourceEnd = end;
    p = end + 1;
  }
  scan.sourceLine = 0;
  scan.sourceLineStart = scan.sourceLineEnd = -1;
  const afterLine = literal(b, p, SOURCE_LINE);
  if (afterLine >= 0) {
    if (!integer(b, afterLine) || numberValue < 1) return false;
    scan.sourceLine = numberValue;
    scan.sourceLineStart = afterLine;
    scan.sourceLineEnd = numberEnd;
    p = numberEnd;
  }
  return p === b.length - 1 && b[p] === 0x7d;
}
