import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { MemoryBus, topicsFor } from '@insiders/messaging';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { ReplayTriggerService } from './replay.trigger';

const CSV = [
  'InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country,',
  '536365,85123A,HEART,6,29-Nov-16,2.55,17850,United Kingdom,',
  '536366,22633,HAND WARMER,6,29-Nov-16,1.85,17850,United Kingdom,',
  '536367,84879,BIRD,32,29-Nov-16,1.69,13047,United Kingdom,',
].join('\r\n');

describe('ReplayTriggerService', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'trigger-'));
    writeFileSync(join(dir, 'Ecommerce.csv.gz'), gzipSync(CSV));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function setup() {
    const bus = new MemoryBus();
    const publisher = new InvoiceLinePublisher(bus, { TOPIC_PREFIX: 'trg', INGEST_PUBLISH_CHUNK: 100, INGEST_PUBLISH_IN_FLIGHT: 2, INVOICE_LINES_PARTITIONS: 1 });
    return { bus, trigger: new ReplayTriggerService(publisher, { INGEST_DATA_DIR: dir }) };
  }

  it('replays a data file by name (finding the .gz) in the background, with a limit', async () => {
    const { bus, trigger } = setup();
    const result = await trigger.requestReplay({ file: 'Ecommerce.csv', limit: 2, requestedBy: 'test' });
    expect(result).toMatchObject({ accepted: true, id: expect.any(String), detail: { file: 'Ecommerce.csv.gz', limit: 2 } });
    await trigger.idle();
    expect(trigger.status()).toMatchObject({ id: result.id, state: 'done', result: { rows: 2, accepted: 2, deadLettered: 0 } });
    expect(bus.size(topicsFor('trg').invoiceLines)).toBe(2);
  });

  it('runs one replay at a time', async () => {
    const { trigger } = setup();
    const first = await trigger.requestReplay({ requestedBy: 'test' });
    const second = await trigger.requestReplay({ requestedBy: 'test' });
    expect(first.accepted).toBe(true);
    expect(second).toMatchObject({ accepted: false, id: first.id, message: 'a replay is already running' });
    await trigger.idle();
    expect((await trigger.requestReplay({ requestedBy: 'test' })).accepted).toBe(true);
    await trigger.idle();
  });

  it('refuses paths outside the data directory, unknown files and bad limits', async () => {
    const { trigger } = setup();
    expect(await trigger.requestReplay({ file: '../etc/passwd', requestedBy: 't' })).toMatchObject({ accepted: false, message: expect.stringContaining('bare file name') });
    expect(await trigger.requestReplay({ file: 'missing.csv', requestedBy: 't' })).toMatchObject({ accepted: false, message: expect.stringContaining('no file') });
    expect(await trigger.requestReplay({ limit: -1, requestedBy: 't' })).toMatchObject({ accepted: false, message: expect.stringContaining('limit') });
  });
});
