/**
 * What goes to `<prefix>.invoice-lines.dlq`: one record per input that could not become an `invoice-line/v1`
 * event, with the original text so it can be fixed and re-sent. JSON-encoded, keyed by `source`.
 */
export interface DeadLetterRecord {
  /** Why it was rejected, naming the field, e.g. `quantity must be an integer, got "six"`. */
  reason: string;
  /** The offending field when one is to blame (absent for unparseable lines / non-objects). */
  field?: string;
  /** Where it came from: `replay:Ecommerce.csv`, `http`. */
  source: string;
  /** 1-based data line (replay) or row (HTTP batch) of the input. */
  line?: number;
  /** The original input, verbatim: the CSV line, the NDJSON line, or the JSON of an array element. */
  payload: string;
  /** When it was dead-lettered (ISO-8601 UTC). */
  at: string;
}

export function deadLetter(input: Omit<DeadLetterRecord, 'at' | 'field'> & { field?: string | null }, at = new Date()): DeadLetterRecord {
  const record: DeadLetterRecord = { reason: input.reason, source: input.source, payload: input.payload, at: at.toISOString() };
  if (input.field !== undefined && input.field !== null) record.field = input.field;
  if (input.line !== undefined) record.line = input.line;
  return record;
}
