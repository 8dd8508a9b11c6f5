import { INVOICE_LINE_V1, InvoiceLineEvent } from './invoice-line.event';
import { isPlausibleTime, parseIsoLikeTime } from './invoice-time';

/** Fields a validation failure can name; `null` means the row as a whole (not an object, not JSON, wrong shape). */
export type InvoiceLineField = keyof InvoiceLineEvent;

export type InvoiceLineValidation =
  | { ok: true; event: InvoiceLineEvent }
  | { ok: false; field: InvoiceLineField | null; reason: string };

export const EVENT_ID_MAX = 200;
const ID_MAX = 200;
const TEXT_MAX = 1000;
const INTEGER = /^[+-]?\d+$/;
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGRAL_DECIMAL = /^(\d+)\.0*$/;

class Invalid {
  constructor(
    readonly field: InvoiceLineField | null,
    readonly reason: string,
  ) {}
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? `"${value.slice(0, 40)}…"` : JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  return typeof value;
}

function requiredText(value: unknown, field: InvoiceLineField, max: number, allowInteger: boolean): string {
  if (typeof value === 'string') {
    if (value.trim().length === 0) throw new Invalid(field, `${field} must be a non-empty string`);
    if (value.length > max) throw new Invalid(field, `${field} is longer than ${max} characters`);
    return value;
  }
  if (allowInteger && typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
  if (value === undefined) throw new Invalid(field, `${field} is missing`);
  throw new Invalid(field, `${field} must be a non-empty string, got ${describe(value)}`);
}

function quantityOf(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && INTEGER.test(value.trim())) n = Number(value);
  else if (value === undefined) throw new Invalid('quantity', 'quantity is missing');
  else throw new Invalid('quantity', `quantity must be an integer, got ${describe(value)}`);
  if (!Number.isSafeInteger(n)) throw new Invalid('quantity', `quantity must be an integer, got ${describe(value)}`);
  if (n === 0) throw new Invalid('quantity', 'quantity must not be 0');
  return n;
}

function unitPriceOf(value: unknown): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && DECIMAL.test(value.trim())) n = Number(value);
  else if (value === undefined) throw new Invalid('unitPrice', 'unitPrice is missing');
  else throw new Invalid('unitPrice', `unitPrice must be a finite number, got ${describe(value)}`);
  if (!Number.isFinite(n)) throw new Invalid('unitPrice', `unitPrice must be a finite number, got ${describe(value)}`);
  return n === 0 ? 0 : n; // no -0
}

// Consecutive lines of an invoice share their time: remember the last conversion.
let lastTimeText = '';
let lastTimeIso = '';

function invoiceTimeOf(value: unknown): string {
  let ms: number | null;
  if (typeof value === 'string') {
    if (value === lastTimeText) return lastTimeIso;
    ms = parseIsoLikeTime(value.trim());
    if (ms === null) {
      throw new Invalid('invoiceTime', `invoiceTime must be an ISO-8601 date-time (e.g. 2016-11-29T08:26:00Z), got ${describe(value)}`);
    }
  } else if (typeof value === 'number' && Number.isFinite(value)) {
    ms = value;
  } else if (value === undefined) {
    throw new Invalid('invoiceTime', 'invoiceTime is missing');
  } else {
    throw new Invalid('invoiceTime', `invoiceTime must be an ISO-8601 string or epoch milliseconds, got ${describe(value)}`);
  }
  if (!isPlausibleTime(ms)) throw new Invalid('invoiceTime', `invoiceTime ${describe(value)} is outside 1990..2099`);
  const iso = new Date(ms).toISOString();
  if (typeof value === 'string') {
    lastTimeText = value;
    lastTimeIso = iso;
  }
  return iso;
}

function customerIdOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.length === 0) throw new Invalid('customerId', 'customerId must be null or a non-empty string');
    if (text.length > ID_MAX) throw new Invalid('customerId', `customerId is longer than ${ID_MAX} characters`);
    const integral = INTEGRAL_DECIMAL.exec(text);
    return integral ? integral[1] : text;
  }
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
  throw new Invalid('customerId', `customerId must be null or a non-empty string, got ${describe(value)}`);
}

function descriptionOf(value: unknown): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string') throw new Invalid('description', `description must be a string or null, got ${describe(value)}`);
  if (value.length > TEXT_MAX) throw new Invalid('description', `description is longer than ${TEXT_MAX} characters`);
  return value;
}

/**
 * Validates and normalises one invoice line (from JSON, NDJSON or a CSV reader) into an `invoice-line/v1` event.
 * Hand-written for speed (it runs for every line of every replay). Unknown extra properties are ignored; the
 * returned event is a fresh object with the contract's fields only, in the contract's order.
 * Normalisations: numeric strings for quantity/unitPrice, integer customer ids (`17850`, `"17850.0"` → `"17850"`),
 * empty description → null, invoice time → ISO-8601 UTC with milliseconds (zone-less times are UTC).
 */
export function validateInvoiceLine(raw: unknown): InvoiceLineValidation {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, field: null, reason: `expected an invoice line object, got ${describe(raw)}` };
  }
  const r = raw as Record<string, unknown>;
  try {
    if (r.schema !== undefined && r.schema !== INVOICE_LINE_V1) {
      throw new Invalid('schema', `unsupported schema ${describe(r.schema)}, expected "${INVOICE_LINE_V1}"`);
    }
    const event: InvoiceLineEvent = {
      schema: INVOICE_LINE_V1,
      eventId: requiredText(r.eventId, 'eventId', EVENT_ID_MAX, false),
      invoiceNo: requiredText(r.invoiceNo, 'invoiceNo', ID_MAX, true),
      stockCode: requiredText(r.stockCode, 'stockCode', ID_MAX, true),
      description: descriptionOf(r.description),
      quantity: quantityOf(r.quantity),
      invoiceTime: invoiceTimeOf(r.invoiceTime),
      unitPrice: unitPriceOf(r.unitPrice),
      customerId: customerIdOf(r.customerId),
      country: requiredText(r.country, 'country', ID_MAX, false),
    };
    if (r.source !== undefined && r.source !== null) event.source = requiredText(r.source, 'source', ID_MAX, false);
    if (r.sourceLine !== undefined && r.sourceLine !== null) {
      if (typeof r.sourceLine !== 'number' || !Number.isSafeInteger(r.sourceLine) || r.sourceLine < 1) {
        throw new Invalid('sourceLine', `sourceLine must be a positive integer, got ${describe(r.sourceLine)}`);
      }
      event.sourceLine = r.sourceLine;
    }
    return { ok: true, event };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, field: e.field, reason: e.reason };
    throw e;
  }
}
