/**
 * The invoice-line event, version 1: one line of an invoice as the e-commerce platform emits it.
 * Published to `<prefix>.invoice-lines.v1`, keyed by customer id (or `invoice:<invoiceNo>` when the customer is
 * unknown), JSON-encoded. Returns are lines with a negative quantity (their invoice number usually starts with `C`).
 */
export const INVOICE_LINE_V1 = 'invoice-line/v1' as const;

export interface InvoiceLineEvent {
  schema: typeof INVOICE_LINE_V1;
  /** Idempotency key, unique per line: consumers drop an event id they have already stored. Replay uses `<source>:<line>`. */
  eventId: string;
  invoiceNo: string;
  stockCode: string;
  description: string | null;
  /** Integer; negative for returns. */
  quantity: number;
  /** ISO-8601 instant in UTC, e.g. `2016-11-29T08:26:00.000Z`. */
  invoiceTime: string;
  unitPrice: number;
  /** Missing customer ids are allowed and kept; the feature cleaning policy decides what to do with them. */
  customerId: string | null;
  country: string;
  /** Where the event came from (`replay:Ecommerce.csv`, `http`), for lineage. */
  source?: string;
  /** 1-based data line in the source file (replay only): keeps the file's order available downstream. */
  sourceLine?: number;
}

/** Partition key: per-customer order; lines without a customer stay together per invoice. */
export function invoiceLineKey(e: Pick<InvoiceLineEvent, 'customerId' | 'invoiceNo'>): string {
  return e.customerId ?? `invoice:${e.invoiceNo}`;
}

export function isReturnLine(e: Pick<InvoiceLineEvent, 'quantity' | 'invoiceNo'>): boolean {
  return e.quantity < 0 || e.invoiceNo.startsWith('C');
}
