import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeInvoiceLine, DeadLetterRecord } from '@insiders/events';
import { unpackMessages } from '../publisher/packed-messages';
import { EncodedCsvBatch, encodedCsvBatches } from './csv-batch.encoder';
import { encodedCsvBatchesInWorker } from './csv-batch.worker-source';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,';
const GOOD = (i: number, customer: string = String(17850 + (i % 3))) => `5363${i},85123A,"HEART, WHITE é",${i + 1},${1 + (i % 28)}-Nov-16,2.55,${customer},United Kingdom,`;

let dir: string;
let path: string;
const lines = [HEADER];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'csv-batch-'));
  for (let i = 0; i < 3000; i++) lines.push(i % 500 === 7 ? `bad line ${i}` : GOOD(i, i % 10 === 0 ? '' : undefined));
  path = join(dir, 'shop.csv');
  writeFileSync(path, Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function collect(batches: AsyncGenerator<EncodedCsvBatch>): Promise<EncodedCsvBatch[]> {
  const out: EncodedCsvBatch[] = [];
  for await (const b of batches) out.push(b);
  return out;
}

describe('encodedCsvBatches', () => {
  it('encodes every line, in order: events keyed by customer (or invoice), bad lines as dead letters', async () => {
    const batches = await collect(encodedCsvBatches(path, { withTimes: true }));
    expect(batches.reduce((n, b) => n + b.rows, 0)).toBe(3000);
    let line = 1;
    const events = [];
    const dead: DeadLetterRecord[] = [];
    for (const b of batches) {
      expect(b.firstLine).toBe(line);
      line += b.rows;
      expect(b.eventLines.length + b.deadLetterLines.length).toBe(b.rows);
      expect(b.eventTimes).toHaveLength(b.eventLines.length);
      for (const [i, m] of unpackMessages(b.events).entries()) {
        const e = decodeInvoiceLine(m.value);
        expect(e.sourceLine).toBe(b.eventLines[i]);
        expect(m.key).toBe(e.customerId ?? `invoice:${e.invoiceNo}`);
        expect(b.eventTimes![i]).toBe(Date.parse(e.invoiceTime));
        events.push(e);
      }
      dead.push(...unpackMessages(b.deadLetters).map((m) => JSON.parse(m.value.toString()) as DeadLetterRecord));
    }
    expect(events.map((e) => e.sourceLine)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1).filter((l) => (l - 1) % 500 !== 7));
    expect(events[0]).toMatchObject({ eventId: 'shop.csv:1', description: 'HEART, WHITE é', customerId: null, invoiceNo: '53630' });
    expect(dead.map((d) => [d.line, d.payload, d.source])).toEqual([8, 508, 1008, 1508, 2008, 2508].map((l) => [l, lines[l], 'replay:shop.csv']));
  });

  it('stops after the limit, within a batch', async () => {
    const batches = await collect(encodedCsvBatches(path, { limit: 1234 }));
    expect(batches.reduce((n, b) => n + b.rows, 0)).toBe(1234);
    expect(batches[batches.length - 1].eventLines.at(-1)).toBe(1234);
    expect(batches[0].eventTimes).toBeUndefined();
    expect(await collect(encodedCsvBatches(path, { limit: 0 }))).toEqual([]);
  });

  it('gives the same batches from a worker thread', async () => {
    const here = await collect(encodedCsvBatches(path, { limit: 2500 }));
    const there = await collect(encodedCsvBatchesInWorker(path, { limit: 2500 }));
    const text = (bs: EncodedCsvBatch[]) => bs.flatMap((b) => [...unpackMessages(b.events), ...unpackMessages(b.deadLetters)].map((m) => `${m.key} ${m.value.toString()}`));
    expect(there.map((b) => b.rows)).toEqual(here.map((b) => b.rows));
    expect(text(there).map((t) => t.replace(/"at":"[^"]+"/, ''))).toEqual(text(here).map((t) => t.replace(/"at":"[^"]+"/, '')));
  });

  it('reports read errors from the worker thread', async () => {
    await expect(collect(encodedCsvBatchesInWorker(join(dir, 'missing.csv')))).rejects.toThrow(/ENOENT/);
    const empty = join(dir, 'empty.csv');
    writeFileSync(empty, '');
    await expect(collect(encodedCsvBatchesInWorker(empty))).rejects.toThrow(/empty file/);
  });

  it('stops the worker when the consumer stops early', async () => {
    let rows = 0;
    for await (const b of encodedCsvBatchesInWorker(path, {})) {
      rows += b.rows;
      break;
    }
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(3000);
  });
});
