import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { randomUUID } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeadLetterRecord, decodeInvoiceLine } from '@insiders/events';
import { BusModule, EventBus, IncomingMessage } from '@insiders/messaging';
import { createIngestBus } from '../../apps/ingest/src/ingest.bus';
import { IngestConfig, loadIngestConfig } from '../../apps/ingest/src/ingest.config';
import { IngestModule } from '../../apps/ingest/src/ingest.module';
import { InvoiceLinePublisher } from '../../apps/ingest/src/publisher/invoice-line.publisher';
import { replayFile } from '../../apps/ingest/src/replay/replay-file';

// Against the real broker from the jest globalSetup (KAFKA_BROKERS). Each test has its own topic prefix and group.
// (jest 29 ignores a per-project testTimeout, so the file sets its own.)
jest.setTimeout(600_000);

const SEED = join(__dirname, '../../data/Ecommerce.csv.gz');

function configFor(prefix: string, env: Record<string, string> = {}): IngestConfig {
  if (!process.env.KAFKA_BROKERS) throw new Error('KAFKA_BROKERS is not set: the integration globalSetup provides the broker');
  return loadIngestConfig({ ...process.env, TOPIC_PREFIX: prefix, KAFKA_CLIENT_ID: prefix, ...env });
}

const uniquePrefix = (name: string) => `it-ingest-${name}-${randomUUID().slice(0, 8)}`;

async function expectEventually(check: () => void, { timeoutMs = 120_000, intervalMs = 100 } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      check();
      return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }
}

/** Consumes a topic from the beginning with a fresh group into an array. */
async function consume(bus: EventBus, topic: string): Promise<{ messages: IncomingMessage[]; stop: () => Promise<void> }> {
  const messages: IncomingMessage[] = [];
  const subscription = await bus.subscribe({ topic, groupId: `${topic}-reader-${randomUUID().slice(0, 8)}`, fromBeginning: true }, async (batch) => {
    for (const m of batch.messages) messages.push(m);
  });
  return { messages, stop: () => subscription.stop() };
}

describe('ingest into the real Kafka broker', () => {
  let dir: string;
  const buses: EventBus[] = [];
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ingest-it-'))));
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function kafkaPublisher(prefix: string) {
    const config = configFor(prefix);
    const bus = await createIngestBus(config);
    buses.push(bus);
    expect(bus.kind).toBe('kafka');
    const publisher = new InvoiceLinePublisher(bus, config);
    await publisher.ensureTopics();
    return { bus, publisher };
  }

  it('replays the whole Ecommerce.csv: 541,909 events arrive, per-customer counts equal the CSV', async () => {
    // Expected counts, independently of the CSV reader: a plain line split (CustomerID is the third field from the
    // end, since Description is the only field with quoted commas), keyed as the contract says.
    const text = gunzipSync(readFileSync(SEED)).toString('latin1');
    const lines = text.split('\r\n').slice(1).filter((l) => l.length > 0);
    const expected = new Map<string, number>();
    for (const l of lines) {
      const f = l.split(',');
      const customer = f[f.length - 3];
      const key = customer === '' ? `invoice:${f[0]}` : customer;
      expected.set(key, (expected.get(key) ?? 0) + 1);
    }
    expect(lines.length).toBe(541_909);

    const prefix = uniquePrefix('full');
    const { bus, publisher } = await kafkaPublisher(prefix);
    const result = await replayFile(SEED, publisher);
    expect(result).toMatchObject({ rows: 541_909, accepted: 541_909, deadLettered: 0 });

    const { messages, stop } = await consume(bus, publisher.topics.invoiceLines);
    await expectEventually(() => expect(messages.length).toBeGreaterThanOrEqual(541_909), { timeoutMs: 300_000, intervalMs: 500 });
    await stop();
    expect(messages.length).toBe(541_909); // idempotent producer: no duplicates either
    const ids = new Set<string>();
    const actual = new Map<string, number>();
    for (const m of messages) {
      const event = decodeInvoiceLine(m.value);
      ids.add(event.eventId);
      expect(m.key).toBe(event.customerId ?? `invoice:${event.invoiceNo}`);
      actual.set(m.key!, (actual.get(m.key!) ?? 0) + 1);
    }
    expect(ids.size).toBe(541_909);
    expect(actual.size).toBe(expected.size);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
    // One key lives in one partition, in file order.
    const lastLine = new Map<string, number>();
    for (const m of messages) {
      const line = decodeInvoiceLine(m.value).sourceLine!;
      expect(line).toBeGreaterThan(lastLine.get(m.key!) ?? 0);
      lastLine.set(m.key!, line);
    }
  });

  it('sends malformed and invalid lines to the dead-letter topic with reasons; the counts add up', async () => {
    const good = '536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,29-Nov-16,2.55,17850,United Kingdom,';
    const bad = [
      '536366,22633,HAND WARMER,six,29-Nov-16,1.85,17850,United Kingdom,',
      '536367,84879,ASSORTED BIRD,32,31-Feb-16,1.69,13047,United Kingdom,',
      '536368,"BROKEN QUOTE,6,29-Nov-16,4.25,13047,United Kingdom,',
      '536369,21756,BATH BUILDING BLOCK,3,29-Nov-16,,13047,United Kingdom,',
    ];
    const path = join(dir, 'bad-rows.csv');
    writeFileSync(path, Buffer.from(['InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,', good, ...bad, good].join('\r\n') + '\r\n', 'latin1'));
    const { bus, publisher } = await kafkaPublisher(uniquePrefix('dlq'));
    const result = await replayFile(path, publisher);
    expect(result).toMatchObject({ rows: 6, accepted: 2, deadLettered: 4 });

    const dlq = await consume(bus, publisher.topics.invoiceLinesDeadLetter);
    const lines = await consume(bus, publisher.topics.invoiceLines);
    await expectEventually(() => {
      expect(dlq.messages.length).toBe(4);
      expect(lines.messages.length).toBe(2);
    });
    await Promise.all([dlq.stop(), lines.stop()]);
    const records = dlq.messages.map((m) => JSON.parse(m.value.toString()) as DeadLetterRecord).sort((a, b) => a.line! - b.line!);
    expect(records.map((r) => [r.line, r.field, r.payload])).toEqual([
      [2, 'quantity', bad[0]],
      [3, 'invoiceTime', bad[1]],
      [4, undefined, bad[2]],
      [5, 'unitPrice', bad[3]],
    ]);
    expect(records[0].reason).toBe('quantity must be an integer, got "six"');
    expect(records[1].reason).toContain('31-Feb-16');
    expect(records[2].reason).toContain('unterminated quoted field');
    expect(records.every((r) => r.source === 'replay:bad-rows.csv' && !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });

  describe('POST /v1/invoice-lines', () => {
    let app: NestFastifyApplication;
    let bus: EventBus;
    let config: IngestConfig;

    beforeAll(async () => {
      config = configFor(uniquePrefix('http'));
      bus = await createIngestBus(config);
      buses.push(bus);
      const moduleRef = await Test.createTestingModule({ imports: [BusModule.forBus(bus), IngestModule.register(config)] }).compile();
      app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ bodyLimit: config.INGEST_MAX_BODY_BYTES }), { logger: false });
      await app.init();
      await app.getHttpAdapter().getInstance().ready();
    });
    afterAll(() => app.close());

    const line = (i: number, patch: Record<string, unknown> = {}) => ({
      eventId: `http-${i}`, invoiceNo: `58${i}`, stockCode: '85123A', description: 'HEART', quantity: 2, invoiceTime: '2017-12-01T10:00:00Z', unitPrice: 2.55, customerId: `1${i}`, country: 'France', ...patch,
    });

    it('answers 400 naming row and field, publishing nothing; partial=true publishes the good rows and dead-letters the bad', async () => {
      const publisher = app.get(InvoiceLinePublisher);
      const rows = [line(1), line(2, { unitPrice: 'free' }), line(3), line(4, { eventId: '' })];
      const rejected = await app.inject({ method: 'POST', url: '/v1/invoice-lines', headers: { 'content-type': 'application/json' }, payload: JSON.stringify(rows) });
      expect(rejected.statusCode).toBe(400);
      expect(rejected.json().errors).toEqual([
        { row: 2, field: 'unitPrice', reason: 'unitPrice must be a finite number, got "free"' },
        { row: 4, field: 'eventId', reason: 'eventId must be a non-empty string' },
      ]);

      const ndjson = rows.map((r) => JSON.stringify(r)).join('\n');
      const partial = await app.inject({ method: 'POST', url: '/v1/invoice-lines?partial=true', headers: { 'content-type': 'application/x-ndjson' }, payload: ndjson });
      expect(partial.statusCode).toBe(202);
      expect(partial.json()).toMatchObject({ accepted: 2, deadLettered: 2 });

      const events = await consume(bus, publisher.topics.invoiceLines);
      const dead = await consume(bus, publisher.topics.invoiceLinesDeadLetter);
      await expectEventually(() => {
        expect(events.messages.length).toBe(2);
        expect(dead.messages.length).toBe(2);
      });
      await Promise.all([events.stop(), dead.stop()]);
      // Only the partial request published: the rejected batch left nothing behind.
      expect(events.messages.map((m) => decodeInvoiceLine(m.value)).map((e) => [e.eventId, e.source]).sort()).toEqual([
        ['http-1', 'http'],
        ['http-3', 'http'],
      ]);
      const records = dead.messages.map((m) => JSON.parse(m.value.toString()) as DeadLetterRecord);
      expect(records.map((r) => [r.line, r.field, r.payload, r.source])).toEqual([
        [2, 'unitPrice', JSON.stringify(rows[1]), 'http'],
        [4, 'eventId', JSON.stringify(rows[3]), 'http'],
      ]);
    });
  });
});
