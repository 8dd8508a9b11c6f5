import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DeadLetterRecord, decodeInvoiceLine } from '@insiders/events';
import { MemoryBus, topicsFor } from '@insiders/messaging';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { replayFile } from './replay-file';

const HEADER = 'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,';
const GOOD = (i: number, date = '29-Nov-16') => `5363${i},85123A,"HEART, WHITE",${i + 1},${date},2.55,${17850 + (i % 3)},United Kingdom,`;

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'replay-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function setup(chunk = 4) {
  const bus = new MemoryBus();
  const publisher = new InvoiceLinePublisher(bus, { TOPIC_PREFIX: 'r', INGEST_PUBLISH_CHUNK: chunk, INGEST_PUBLISH_IN_FLIGHT: 2, INVOICE_LINES_PARTITIONS: 1 });
  return { bus, publisher, topics: topicsFor('r') };
}

describe.each([
  ['in a worker thread', true],
  ['in the calling thread', false],
])('replayFile, reading %s', (_, worker) => {
  it('publishes every good line as an event and every bad one to the DLQ; the counts add up', async () => {
    const lines = [HEADER, GOOD(0), GOOD(1), '536999,X,BAD,1.5,29-Nov-16,1,1,UK,', GOOD(2), '536998,X,BAD DATE,1,32-Nov-16,1,1,UK,', GOOD(3), GOOD(4), GOOD(5), GOOD(6), GOOD(7)];
    const path = join(dir, 'shop.csv');
    writeFileSync(path, Buffer.from(lines.join('\r\n') + '\r\n', 'latin1'));
    const { bus, publisher, topics } = setup();
    const progress: number[] = [];
    const result = await replayFile(path, publisher, { worker, onProgress: (p) => progress.push(p.rows) });
    expect(result).toMatchObject({ format: 'seed', rows: 10, accepted: 8, deadLettered: 2 });
    expect(progress[progress.length - 1]).toBe(10);
    const events = bus.read(topics.invoiceLines).map((m) => decodeInvoiceLine(m.value));
    expect(events.map((e) => e.eventId)).toEqual(['shop.csv:1', 'shop.csv:2', 'shop.csv:4', 'shop.csv:6', 'shop.csv:7', 'shop.csv:8', 'shop.csv:9', 'shop.csv:10']);
    expect(bus.read(topics.invoiceLines).map((m) => m.key)).toEqual(events.map((e) => e.customerId));
    const dead = bus.read(topics.invoiceLinesDeadLetter).map((m) => JSON.parse(m.value.toString()) as DeadLetterRecord);
    expect(dead).toEqual([
      { reason: 'quantity must be an integer, got "1.5"', field: 'quantity', source: 'replay:shop.csv', line: 3, payload: lines[3], at: expect.any(String) },
      { reason: expect.stringContaining('InvoiceDate must be a d-Mon-yy date'), field: 'invoiceTime', source: 'replay:shop.csv', line: 5, payload: lines[5], at: expect.any(String) },
    ]);
  });

  it('stops after --limit lines, counting bad ones too', async () => {
    const path = join(dir, 'limit.csv.gz');
    writeFileSync(path, gzipSync([HEADER, GOOD(0), 'broken', GOOD(1), GOOD(2)].join('\r\n')));
    const { bus, publisher, topics } = setup();
    const result = await replayFile(path, publisher, { worker, limit: 3 });
    expect(result).toMatchObject({ rows: 3, accepted: 2, deadLettered: 1 });
    expect(bus.size(topics.invoiceLines)).toBe(2);
    expect(bus.read(topics.invoiceLines).map((m) => decodeInvoiceLine(m.value).eventId)).toEqual(['limit.csv:1', 'limit.csv:3']);
  });

  it('paces by event time at N× real time', async () => {
    // Events one day apart, replayed at one day per 500 ms: the last is published 1 s after the first.
    const path = join(dir, 'paced.csv');
    writeFileSync(path, [HEADER, GOOD(0, '1-Dec-16'), GOOD(1, '2-Dec-16'), GOOD(2, '3-Dec-16')].join('\r\n'));
    const paced = setup();
    expect((await replayFile(path, paced.publisher, { worker, speed: 86_400_000 / 500 })).accepted).toBe(3);
    const times = paced.bus.read(paced.topics.invoiceLines).map((m) => m.timestamp);
    expect(times[1] - times[0]).toBeGreaterThanOrEqual(495);
    expect(times[2] - times[0]).toBeGreaterThanOrEqual(995);
    const fast = setup();
    await replayFile(path, fast.publisher, { worker, speed: 'max' });
    const fastTimes = fast.bus.read(fast.topics.invoiceLines).map((m) => m.timestamp);
    expect(fastTimes[2] - fastTimes[0]).toBeLessThan(900); // not paced (one chunk, published at once)
  });

  it('stops when aborted while pacing: what was read is published and the counts add up', async () => {
    const path = join(dir, 'aborted.csv');
    writeFileSync(path, [HEADER, GOOD(0, '1-Dec-16'), 'bad', GOOD(1, '2-Dec-16'), GOOD(2, '3-Dec-16'), GOOD(3, '4-Dec-16')].join('\r\n'));
    const { bus, publisher, topics } = setup();
    const abort = new AbortController();
    const result = await replayFile(path, publisher, {
      worker,
      speed: 86_400_000 / 60_000, // a day per minute: the second event would wait a minute
      signal: abort.signal,
      onProgress: (p) => {
        if (p.rows >= 2) abort.abort(); // reported before waiting for the second event
      },
    });
    expect(result).toMatchObject({ rows: 2, accepted: 1, deadLettered: 1 });
    expect(bus.read(topics.invoiceLines).map((m) => decodeInvoiceLine(m.value).eventId)).toEqual(['aborted.csv:1']);
  });

  it('fails loudly on a missing file', async () => {
    await expect(replayFile(join(dir, 'nope.csv'), setup().publisher, { worker })).rejects.toThrow(/ENOENT/);
  });
});
