import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DeadLetterRecord, decodeInvoiceLine } from '@insiders/events';
import { BusModule, EventBus } from '@insiders/messaging';
import { consumeAll, expectEventually, kafkaBrokersFromEnv, kcatConsumeAll, readAllMessages, ReadMessage, requireKcat, uniqueName } from '@insiders/testing';
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

const uniquePrefix = (name: string) => uniqueName(`it-ingest-${name}`);

// Publishing resolves once Kafka acknowledged (acks=all), so reading each topic up to its end offsets is enough:
// an independent kafkajs consumer (not the bus under test) reads them back.
// Right after a topic is created a busy broker may still answer "not the leader" (retriable): read again then.
const readAll = (topic: string) => expectEventually(() => readAllMessages(topic), { timeoutMs: 60_000, intervalMs: 200 });
const records = (messages: ReadMessage[]) => messages.map((m) => JSON.parse(m.value) as DeadLetterRecord);

describe('ingest into the real Kafka broker', () => {
  let dir: string;
  const buses: EventBus[] = [];
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'ingest-it-'))));
  afterAll(async () => {
    for (const bus of buses) await bus.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function kafkaPublisher(prefix: string): Promise<{ publisher: InvoiceLinePublisher }> {
    const config = configFor(prefix);
    const bus = createIngestBus(config);
    buses.push(bus);
    expect(bus.kind).toBe('kafka');
    const publisher = new InvoiceLinePublisher(bus, config);
    await publisher.ensureTopics();
    return { publisher };
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
    const { publisher } = await kafkaPublisher(prefix);
    const result = await replayFile(SEED, publisher);
    expect(result).toMatchObject({ rows: 541_909, accepted: 541_909, deadLettered: 0 });

    // Read back by an independent consumer (again from the start if the busy broker answers a retriable error).
    const { count, ids, actual, wrongKey, outOfOrder } = await expectEventually(
      async () => {
        const ids = new Set<string>();
        const actual = new Map<string, number>();
        const lastLine = new Map<string, number>();
        let outOfOrder = 0;
        let wrongKey = 0;
        const count = await consumeAll(
          publisher.topics.invoiceLines,
          (m) => {
            const event = decodeInvoiceLine(m.value);
            ids.add(event.eventId);
            if (m.key !== (event.customerId ?? `invoice:${event.invoiceNo}`)) wrongKey++;
            actual.set(m.key!, (actual.get(m.key!) ?? 0) + 1);
            // One key lives in one partition, in file order.
            if (event.sourceLine! <= (lastLine.get(m.key!) ?? 0)) outOfOrder++;
            lastLine.set(m.key!, event.sourceLine!);
          },
          { timeoutMs: 300_000 },
        );
        return { count, ids, actual, wrongKey, outOfOrder };
      },
      { timeoutMs: 600_000, intervalMs: 1_000 },
    );
    expect(count).toBe(541_909); // idempotent producer: no duplicates either
    expect(wrongKey).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(ids.size).toBe(541_909);
    expect(actual.size).toBe(expected.size);
    expect(Object.fromEntries(actual)).toEqual(Object.fromEntries(expected));
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
    const { publisher } = await kafkaPublisher(uniquePrefix('dlq'));
    const result = await replayFile(path, publisher);
    expect(result).toMatchObject({ rows: 6, accepted: 2, deadLettered: 4 });

    expect(await readAll(publisher.topics.invoiceLines)).toHaveLength(2);
    const dead = records(await readAll(publisher.topics.invoiceLinesDeadLetter)).sort((a, b) => a.line! - b.line!);
    expect(dead.map((r) => [r.line, r.field, r.payload])).toEqual([
      [2, 'quantity', bad[0]],
      [3, 'invoiceTime', bad[1]],
      [4, undefined, bad[2]],
      [5, 'unitPrice', bad[3]],
    ]);
    expect(dead[0].reason).toBe('quantity must be an integer, got "six"');
    expect(dead[1].reason).toContain('31-Feb-16');
    expect(dead[2].reason).toContain('unterminated quoted field');
    expect(dead.every((r) => r.source === 'replay:bad-rows.csv' && !Number.isNaN(Date.parse(r.at)))).toBe(true);
  });

  it('an independent client (kcat) reads the replayed events, keyed by customer, as valid invoice-line/v1', async () => {
    requireKcat();
    const { publisher } = await kafkaPublisher(uniquePrefix('kcat'));
    const result = await replayFile(SEED, publisher, { limit: 500 });
    expect(result).toMatchObject({ rows: 500, accepted: 500 });
    const read = await kcatConsumeAll(kafkaBrokersFromEnv(), publisher.topics.invoiceLines);
    expect(read).toHaveLength(500);
    const events = read.map((m) => ({ key: m.key, event: decodeInvoiceLine(m.value ?? '') }));
    expect(events.every(({ key, event }) => key === (event.customerId ?? `invoice:${event.invoiceNo}`))).toBe(true);
    expect(new Set(events.map(({ event }) => event.eventId)).size).toBe(500);
    expect(events.find(({ event }) => event.eventId === 'Ecommerce.csv:1')?.event).toMatchObject({
      invoiceNo: '536365', stockCode: '85123A', quantity: 6, unitPrice: 2.55, customerId: '17850', invoiceTime: '2016-11-29T00:00:00.000Z', country: 'United Kingdom',
    });
  });

  describe('POST /v1/invoice-lines', () => {
    let app: NestFastifyApplication;
    let bus: EventBus;
    let config: IngestConfig;

    beforeAll(async () => {
      config = configFor(uniquePrefix('http'));
      bus = createIngestBus(config);
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

      // Only the partial request published: the rejected batch left nothing behind.
      const events = await readAll(publisher.topics.invoiceLines);
      expect(events.map((m) => decodeInvoiceLine(m.value)).map((e) => [e.eventId, e.source]).sort()).toEqual([
        ['http-1', 'http'],
        ['http-3', 'http'],
      ]);
      const dead = records(await readAll(publisher.topics.invoiceLinesDeadLetter));
      expect(dead.map((r) => [r.line, r.field, r.payload, r.source])).toEqual([
        [2, 'unitPrice', JSON.stringify(rows[1]), 'http'],
        [4, 'eventId', JSON.stringify(rows[3]), 'http'],
      ]);
    });
  });
});
