import { Test } from '@nestjs/testing';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { BusModule, MemoryBus, topicsFor } from '@insiders/messaging';
import { IngestModule } from '../ingest.module';
import { loadIngestConfig } from '../ingest.config';

const config = loadIngestConfig({ TOPIC_PREFIX: 'http-spec', INGEST_MAX_BATCH_ROWS: '5', INGEST_MAX_BODY_BYTES: '4096' });
const topics = topicsFor('http-spec');

function line(i: number, patch: Record<string, unknown> = {}) {
  return { eventId: `h${i}`, invoiceNo: '536365', stockCode: '85123A', description: 'HEART', quantity: 6, invoiceTime: '2016-11-29T08:26:00Z', unitPrice: 2.55, customerId: '17850', country: 'United Kingdom', ...patch };
}

describe('POST /v1/invoice-lines', () => {
  let app: NestFastifyApplication;
  let bus: MemoryBus;

  beforeEach(async () => {
    bus = new MemoryBus();
    const moduleRef = await Test.createTestingModule({ imports: [BusModule.forBus(bus), IngestModule.register(config)] }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter({ bodyLimit: config.INGEST_MAX_BODY_BYTES }), { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterEach(() => app.close());

  const post = (payload: string, contentType = 'application/json', query = '') =>
    app.inject({ method: 'POST', url: `/v1/invoice-lines${query}`, headers: { 'content-type': contentType }, payload });

  it('accepts a JSON array and publishes every row', async () => {
    const res = await post(JSON.stringify([line(1), line(2)]));
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, deadLettered: 0, errors: [] });
    expect(bus.read(topics.invoiceLines).map((m) => JSON.parse(m.value.toString()).eventId)).toEqual(['h1', 'h2']);
  });

  it('accepts NDJSON, skipping blank lines', async () => {
    const res = await post(`${JSON.stringify(line(1))}\n\n${JSON.stringify(line(2))}\n`, 'application/x-ndjson');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toMatchObject({ accepted: 2, deadLettered: 0 });
  });

  it('rejects a batch with a bad row: 400 naming row and field, nothing published', async () => {
    const res = await post(JSON.stringify([line(1), line(2, { quantity: 0 }), line(3, { country: '' })]));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([
      { row: 2, field: 'quantity', reason: 'quantity must not be 0' },
      { row: 3, field: 'country', reason: 'country must be a non-empty string' },
    ]);
    expect(bus.size(topics.invoiceLines)).toBe(0);
    expect(bus.size(topics.invoiceLinesDeadLetter)).toBe(0);
  });

  it('names the NDJSON line of invalid JSON', async () => {
    const res = await post(`${JSON.stringify(line(1))}\n{"eventId": nope}\n`, 'application/x-ndjson');
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toEqual([{ row: 2, field: null, reason: expect.stringMatching(/^invalid JSON/) }]);
  });

  it('with partial=true accepts the good rows and dead-letters the bad ones', async () => {
    const bad = line(2, { invoiceTime: '31/12/2016' });
    const res = await post(JSON.stringify([line(1), bad, line(3)]), 'application/json', '?partial=true');
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 2, deadLettered: 1, errors: [{ row: 2, field: 'invoiceTime', reason: expect.any(String) }] });
    const dead = bus.read(topics.invoiceLinesDeadLetter).map((m) => JSON.parse(m.value.toString()));
    expect(dead).toEqual([{ reason: expect.stringContaining('invoiceTime'), field: 'invoiceTime', source: 'http', line: 2, payload: JSON.stringify(bad), at: expect.any(String) }]);
  });

  it('rejects what is not an array, an empty batch, and too many rows', async () => {
    expect((await post(JSON.stringify(line(1)))).statusCode).toBe(400);
    expect((await post('[]')).statusCode).toBe(400);
    const tooMany = await post(JSON.stringify([1, 2, 3, 4, 5, 6].map((i) => line(i))));
    expect(tooMany.statusCode).toBe(413);
    expect(tooMany.json().message).toContain('the limit is 5');
    const tooManyNd = await post([1, 2, 3, 4, 5, 6].map((i) => JSON.stringify(line(i))).join('\n'), 'application/x-ndjson');
    expect(tooManyNd.statusCode).toBe(413);
  });

  it('enforces the body size limit for both content types', async () => {
    const big = JSON.stringify([line(1, { description: 'x'.repeat(5000) })]);
    expect((await post(big)).statusCode).toBe(413);
    expect((await post(big.slice(1, -1), 'application/x-ndjson')).statusCode).toBe(413);
  });

  it('reports counts and the bus on GET /v1/ingest/status', async () => {
    await post(JSON.stringify([line(1), line(2, { quantity: 'x' })]), 'application/json', '?partial=1');
    const res = await app.inject({ method: 'GET', url: '/v1/ingest/status' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      bus: 'memory',
      topics: { invoiceLines: 'http-spec.invoice-lines.v1', deadLetter: 'http-spec.invoice-lines.dlq' },
      accepted: 1,
      deadLettered: 1,
      replay: null,
    });
    jest.spyOn(bus, 'ping').mockRejectedValue(new Error('no broker'));
    expect((await app.inject({ method: 'GET', url: '/v1/ingest/status' })).statusCode).toBe(503);
  });

  it('answers 503 when the bus cannot take the events', async () => {
    jest.spyOn(bus, 'publish').mockRejectedValue(new Error('broker down'));
    const res = await post(JSON.stringify([line(1)]));
    expect(res.statusCode).toBe(503);
    expect(res.json().message).toContain('broker down');
  });
});
