import { get as httpGet, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { KafkaBus, topicsFor } from '@insiders/messaging';
import { expectEventually, kafkaBrokersFromEnv, uniqueName } from '@insiders/testing';
import { ApiFixtures, createApiTestApp, openTestStore, segmentChange, testApiConfig, type TestStore } from '../support/api-fixtures';

const ELITE = { id: 0, name: 'Elite Spenders', insiders: true };
const ENGAGED = { id: 1, name: 'Engaged', insiders: false };

/** The live stream over the real broker: segment-change events published to Kafka reach SSE clients. */
describe('live segment changes over Kafka', () => {
  let store: TestStore;
  let app: NestFastifyApplication;
  let bus: KafkaBus;
  const prefix = uniqueName('api-live', '_');
  const topic = topicsFor(prefix).segmentChanges;

  beforeAll(async () => {
    bus = new KafkaBus({ brokers: kafkaBrokersFromEnv(), clientId: 'api-live-test' });
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    store = await openTestStore('api_live_kafka');
    await new ApiFixtures(store.client).standardWorld();
    app = await createApiTestApp(store, { bus, config: testApiConfig({ TOPIC_PREFIX: prefix, API_GROUP_PREFIX: uniqueName('api'), WEBHOOKS_ENABLED: 'false', READ_MODEL_REFRESH_MS: '600000' }) });
    await app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    await bus?.close();
    await store?.close();
  });

  it('streams events published to the topic, in order per customer, and moves the customer in the read model', async () => {
    const port = (app.getHttpServer().address() as AddressInfo).port;
    const seen: Record<string, unknown>[] = [];
    const req = httpGet(`http://127.0.0.1:${port}/v1/live/segment-changes`, (res: IncomingMessage) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const data = block.split('\n').find((l) => l.startsWith('data:'));
          if (block.includes('event: segment-change') && data) seen.push(JSON.parse(data.slice(5)));
        }
      });
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    try {
      // The API's consumer starts at the end of the topic once it has joined its group: probe until it has.
      let probes = 0;
      await expectEventually(
        async () => {
          if (seen.length === 0) {
            await bus.publish(topic, [{ key: 'probe', value: JSON.stringify(segmentChange(`probe${probes++}`, null, ENGAGED)) }]);
            throw new Error('no event streamed yet');
          }
        },
        { timeoutMs: 60_000, intervalMs: 500 },
      );
      const before = seen.length;
      const events = [segmentChange('12349', ENGAGED, ELITE), segmentChange('12349', ELITE, ENGAGED, { at: '2011-12-11T00:00:00.000Z' }), segmentChange('12350', ENGAGED, ELITE)];
      await bus.publish(topic, events.map((e) => ({ key: String(e.customerId), value: JSON.stringify(e) })));
      await expectEventually(() => expect(seen.length - before).toBe(3), { timeoutMs: 30_000 });
      const streamed = seen.slice(before);
      expect(streamed.filter((e) => e.customerId === '12349')).toEqual([events[0], events[1]]);
      expect(streamed).toContainEqual(events[2]);
      const customer = (await app.inject({ url: '/v1/customers/12350' })).json();
      expect(customer.segment.name).toBe('Elite Spenders');
      expect((await app.inject({ url: '/v1/customers/12349' })).json().segment.name).toBe('Engaged');
      const ready = (await app.inject({ url: '/health/ready' })).json();
      expect(ready.checks.bus.status).toBe('ok');
    } finally {
      req.destroy();
    }
  });
});
