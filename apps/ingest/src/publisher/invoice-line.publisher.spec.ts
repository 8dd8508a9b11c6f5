import { DeadLetterRecord, decodeInvoiceLine } from '@insiders/events';
import { EventBus, MemoryBus, OutgoingMessage, topicsFor } from '@insiders/messaging';
import { InvoiceLinePublisher, IngestRow } from './invoice-line.publisher';

const config = { TOPIC_PREFIX: 't1', INGEST_PUBLISH_CHUNK: 3, INGEST_PUBLISH_IN_FLIGHT: 2, INVOICE_LINES_PARTITIONS: 4 };
const topics = topicsFor('t1');

function line(i: number, patch: Record<string, unknown> = {}) {
  return {
    eventId: `e${i}`,
    invoiceNo: `5363${i}`,
    stockCode: '85123A',
    description: 'HEART',
    quantity: 1 + i,
    invoiceTime: '2016-11-29 08:26:00',
    unitPrice: 2.55,
    customerId: i % 2 === 0 ? '17850' : null,
    country: 'United Kingdom',
    ...patch,
  };
}
const rowsOf = (values: unknown[]): IngestRow[] => values.map((value, i) => ({ row: i + 1, value, payload: JSON.stringify(value) }));

describe('InvoiceLinePublisher', () => {
  it('creates both topics, the invoice-lines one with the configured partitions', async () => {
    const bus = new MemoryBus();
    const ensure = jest.spyOn(bus, 'ensureTopics');
    await new InvoiceLinePublisher(bus, config).onModuleInit();
    expect(ensure).toHaveBeenCalledWith([
      { topic: 't1.invoice-lines.v1', partitions: 4 },
      { topic: 't1.invoice-lines.dlq', partitions: 1 },
    ]);
  });

  it('publishes good rows keyed by customer (or invoice) and dead-letters bad ones with reason and payload', async () => {
    const bus = new MemoryBus();
    const publisher = new InvoiceLinePublisher(bus, config);
    const values = [line(0), line(1), line(2, { quantity: 'many' }), line(3), line(4, { invoiceTime: 'soon' }), line(5)];
    const result = await publisher.publishRows(rowsOf(values), 'http');
    expect(result).toEqual({
      accepted: 4,
      deadLettered: 2,
      errors: [
        { row: 3, field: 'quantity', reason: 'quantity must be an integer, got "many"' },
        { row: 5, field: 'invoiceTime', reason: expect.stringContaining('invoiceTime must be an ISO-8601') },
      ],
    });
    const published = bus.read(topics.invoiceLines);
    expect(published.map((m) => m.key)).toEqual(['17850', 'invoice:53631', 'invoice:53633', 'invoice:53635']);
    const events = published.map((m) => decodeInvoiceLine(m.value));
    expect(events.map((e) => e.eventId)).toEqual(['e0', 'e1', 'e3', 'e5']);
    expect(events[0]).toMatchObject({ source: 'http', invoiceTime: '2016-11-29T08:26:00.000Z' });
    const dead = bus.read(topics.invoiceLinesDeadLetter).map((m) => JSON.parse(m.value.toString()) as DeadLetterRecord);
    expect(dead).toEqual([
      { reason: 'quantity must be an integer, got "many"', field: 'quantity', source: 'http', line: 3, payload: JSON.stringify(values[2]), at: expect.any(String) },
      { reason: expect.any(String), field: 'invoiceTime', source: 'http', line: 5, payload: JSON.stringify(values[4]), at: expect.any(String) },
    ]);
    expect(publisher.stats()).toEqual({ accepted: 4, deadLettered: 2 });
  });

  it('dead-letters rows that could not be parsed, without a field', async () => {
    const bus = new MemoryBus();
    const publisher = new InvoiceLinePublisher(bus, config);
    const result = await publisher.publishRows([{ row: 7, payload: '{oops', parseError: 'invalid JSON' }], 'http');
    expect(result).toMatchObject({ accepted: 0, deadLettered: 1, errors: [{ row: 7, field: null, reason: 'invalid JSON' }] });
    expect(JSON.parse(bus.read(topics.invoiceLinesDeadLetter)[0].value.toString())).toMatchObject({ payload: '{oops', line: 7 });
  });

  it('publishes in chunks, never more than maxInFlight unacknowledged, in order', async () => {
    const calls: OutgoingMessage[][] = [];
    let inFlight = 0;
    let maxSeen = 0;
    const release: (() => void)[] = [];
    const bus = {
      kind: 'memory',
      publish: async (_topic: string, messages: OutgoingMessage[]) => {
        calls.push(messages);
        maxSeen = Math.max(maxSeen, ++inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight--;
      },
    } as unknown as EventBus;
    const publisher = new InvoiceLinePublisher(bus, config);
    const stream = publisher.openStream();
    let readyResolved = false;
    for (let i = 0; i < 6; i++) {
      const r = validate(line(i));
      stream.add(r);
    }
    const ready = stream.ready().then(() => (readyResolved = true));
    await Promise.resolve();
    expect(calls.map((c) => c.length)).toEqual([3, 3]);
    expect(readyResolved).toBe(false); // 2 in flight = the limit: the producer waits
    release.shift()!();
    await ready;
    for (let i = 6; i < 8; i++) stream.add(validate(line(i)));
    const closing = stream.close();
    while (release.length > 0 || inFlight > 0) {
      await new Promise((r) => setImmediate(r));
      release.shift()?.();
    }
    expect(await closing).toEqual({ accepted: 8, deadLettered: 0 });
    expect(calls.map((c) => c.length)).toEqual([3, 3, 2]);
    expect(maxSeen).toBeLessThanOrEqual(2);
    expect(calls.flat().map((m) => decodeInvoiceLine(m.value).eventId)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7']);
  });

  it('surfaces a bus failure to the producer instead of losing events silently', async () => {
    const bus = new MemoryBus();
    jest.spyOn(bus, 'publish').mockRejectedValue(new Error('broker down'));
    const publisher = new InvoiceLinePublisher(bus, config);
    await expect(publisher.publishRows(rowsOf([line(0)]), 'http')).rejects.toThrow('broker down');
    expect(publisher.stats()).toEqual({ accepted: 0, deadLettered: 0 });
  });
});

function validate(value: unknown) {
  const bus = new MemoryBus();
  const { events } = new InvoiceLinePublisher(bus, config).check([{ row: 1, value, payload: '' }], 'test');
  return events[0];
}
