import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeInvoiceLine, invoiceLineKey, readInvoiceCsv, type InvoiceLineEvent } from '@insiders/events';
import type { ConsumedBatch, IncomingMessage } from '@insiders/messaging';

/** Test and benchmark helpers (no Kafka, no ClickHouse). */
export const REPO_ROOT = join(__dirname, '..', '..', '..', '..');
export const SEED_CSV = process.env.SEED_CSV ?? '/work/shared/data/Ecommerce.csv';
export const SEED_CSV_FALLBACK = join(REPO_ROOT, 'data', 'Ecommerce.csv.gz');
export const GOLDEN_CSV = join(REPO_ROOT, 'test', 'fixtures', 'reference-features-seed-ian.csv');

export function seedCsvPath(): string {
  try {
    readFileSync(SEED_CSV, { flag: 'r' }).subarray(0, 1);
    return SEED_CSV;
  } catch {
    return SEED_CSV_FALLBACK;
  }
}

/** Every valid event of a CSV file, in file order (through the libs/events reader). */
export async function readSeedEvents(path = seedCsvPath(), limit = Infinity): Promise<InvoiceLineEvent[]> {
  const events: InvoiceLineEvent[] = [];
  for await (const row of readInvoiceCsv(path)) {
    if (row.ok) events.push(row.event);
    if (events.length >= limit) break;
  }
  return events;
}

/** Events as bus batches (as a consumer would receive them), `size` messages each, offsets from `firstOffset`. */
export function toBatches(events: readonly InvoiceLineEvent[], size: number, topic = 'test.invoice-lines.v1', firstOffset = 0): ConsumedBatch[] {
  const batches: ConsumedBatch[] = [];
  for (let i = 0; i < events.length; i += size) {
    const messages: IncomingMessage[] = events.slice(i, i + size).map((e, j) => ({
      key: invoiceLineKey(e),
      value: Buffer.from(encodeInvoiceLine(e)),
      headers: {},
      partition: 0,
      offset: String(firstOffset + i + j),
      timestamp: 0,
    }));
    batches.push({ topic, partition: 0, messages, lag: Math.max(0, events.length - i - size) });
  }
  return batches;
}

export interface GoldenRow {
  customerId: string;
  grossRevenue: number;
  recencyDays: number;
  products: number;
  frequency: number;
  returns: number;
}

export function readGolden(path = GOLDEN_CSV): GoldenRow[] {
  const [, ...lines] = readFileSync(path, 'utf8').trim().split(/\r?\n/);
  return lines.map((line) => {
    const [id, revenue, recency, products, frequency, returns] = line.split(',');
    return {
      customerId: id,
      grossRevenue: Number(revenue),
      recencyDays: Number(recency),
      products: Number(products),
      frequency: Number(frequency),
      returns: Number(returns),
    };
  });
}
