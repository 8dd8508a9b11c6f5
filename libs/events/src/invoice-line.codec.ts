import { InvoiceLineEvent } from './invoice-line.event';
import { validateInvoiceLine } from './invoice-line.validator';

// Characters JSON.stringify escapes: quote, backslash, control characters and (lone) surrogates.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const NEEDS_ESCAPE = /["\\\u0000-\u001f\ud800-\udfff]/;

function str(s: string): string {
  return NEEDS_ESCAPE.test(s) ? JSON.stringify(s) : `"${s}"`;
}

/**
 * Wire encoding of an `invoice-line/v1` event: compact JSON, byte-for-byte what `JSON.stringify(event)` gives for
 * an event built by the validator (same field order), but about twice as fast since the shape is known.
 */
export function encodeInvoiceLine(e: InvoiceLineEvent): string {
  let json =
    `{"schema":"${e.schema}","eventId":${str(e.eventId)},"invoiceNo":${str(e.invoiceNo)},"stockCode":${str(e.stockCode)}` +
    `,"description":${e.description === null ? 'null' : str(e.description)},"quantity":${e.quantity}` +
    `,"invoiceTime":"${e.invoiceTime}","unitPrice":${e.unitPrice},"customerId":${e.customerId === null ? 'null' : str(e.customerId)}` +
    `,"country":${str(e.country)}`;
  if (e.source !== undefined) json += `,"source":${str(e.source)}`;
  if (e.sourceLine !== undefined) json += `,"sourceLine":${e.sourceLine}`;
  return `${json}}`;
}

export class InvoiceLineDecodeError extends Error {
  constructor(
    message: string,
    readonly field: string | null,
  ) {
    super(message);
    this.name = 'InvoiceLineDecodeError';
  }
}

/** Consumer side: parses and validates a message value; throws `InvoiceLineDecodeError` naming the field. */
export function decodeInvoiceLine(value: Buffer | string): InvoiceLineEvent {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof value === 'string' ? value : value.toString('utf8'));
  } catch (e) {
    throw new InvoiceLineDecodeError(`invalid JSON: ${(e as Error).message}`, null);
  }
  const result = validateInvoiceLine(raw);
  if (!result.ok) throw new InvoiceLineDecodeError(result.reason, result.field);
  return result.event;
}
