import { createServer, get as httpGet, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { verifyWebhookSignature } from '@insiders/api-contracts';
import { MemoryBus, topicsFor } from '@insiders/messaging';
import {
  ApiFixtures,
  createApiTestApp,
  expectEventually,
  openTestStore,
  segmentChange,
  TEST_ADMIN_KEY,
  testApiConfig,
  type TestStore,
} from '../support/api-fixtures';

const ELITE = { id: 0, name: 'Elite Spenders', insiders: true };
const ENGAGED = { id: 1, name: 'Engaged', insiders: false };
const DORMANT = { id: 2, name: 'Dormant', insiders: false };

describe('live updates: SSE and webhooks', () => {
  let store: TestStore;
  let app: NestFastifyApplication;
  let base: string;
  const bus = new MemoryBus();
  const topic = topicsFor('test').segmentChanges;
  const publish = (events: Record<string, unknown>[]) =>
    bus.publish(topic, events.map((e) => ({ key: String(e.customerId), value: JSON.stringify(e) })));

  beforeAll(async () => {
    store = await openTestStore('api_live');
    await new ApiFixtures(store.client).standardWorld();
    app = await createApiTestApp(store, { bus, config: testApiConfig({ READ_MODEL_REFRESH_MS: '600000' }) });
    await app.listen(0, '127.0.0.1');
    base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await app?.close();
    await bus.close();
    await store?.close();
  });

  /** Opens an SSE stream and collects its `segment-change` events. */
  function openStream(path: string): Promise<{ events: { id: string; data: Record<string, unknown> }[]; close: () => void; status: number }> {
    return new Promise((resolve, reject) => {
      const req = httpGet(`${base}${path}`, { headers: { accept: 'text/event-stream' } }, (res: IncomingMessage) => {
        const events: { id: string; data: Record<string, unknown> }[] = [];
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) =>
              block
                .split('\n')
                .filter((l) => l.startsWith(`${name}:`))
                .map((l) => l.slice(name.length + 1).trim())
                .join('\n');
            if (field('event') === 'segment-change') events.push({ id: field('id'), data: JSON.parse(field('data')) });
          }
        });
        res.on('error', () => undefined);
        resolve({ events, close: () => req.destroy(), status: res.statusCode ?? 0 });
      });
      req.on('error', reject);
    });
  }

  it('streams segment changes as Server-Sent Events, filtered per client', async () => {
    const all = await openStream('/v1/live/segment-changes');
    const insidersOnly = await openStream('/v1/live/segment-changes?insidersOnly=true');
    const oneCustomer = await openStream('/v1/live/segment-changes?customerId=12350');
    try {
      expect(all.status).toBe(200);
      const events = [segmentChange('12349', ENGAGED, ELITE), segmentChange('12350', ENGAGED, DORMANT)];
      await publish(events);
      await expectEventually(() => expect(all.events.map((e) => e.data.customerId)).toEqual(['12349', '12350']));
      expect(all.events[0]!.id).toBe(events[0]!.eventId);
      expect(all.events[0]!.data).toEqual(events[0]);
      await expectEventually(() => expect(insidersOnly.events.map((e) => e.data.customerId)).toEqual(['12349']));
      await expectEventually(() => expect(oneCustomer.events.map((e) => e.data.customerId)).toEqual(['12350']));
      // The read model moved the customer at once (no rebuild in between: refresh period 10 min).
      const customer = (await app.inject({ url: '/v1/customers/12349' })).json();
      expect(customer.segment).toEqual({ id: 0, name: 'Elite Spenders', isInsiders: true });
      expect(customer.insider).toBe(true);
      expect(customer.explanation.insider).toBe(true);
    } finally {
      all.close();
      insidersOnly.close();
      oneCustomer.close();
    }
  });

  it('400 naming the field for a bad stream filter', async () => {
    const res = await app.inject({ url: '/v1/live/segment-changes?segmentId=x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().message).toMatch(/^segmentId: /);
  });

  it('delivers signed webhooks, retries after a 500 with backoff, and logs every attempt', async () => {
    const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
    let failuresLeft = 1;
    const server: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        if (failuresLeft-- > 0) {
          res.writeHead(500).end('boom');
          return;
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/insiders`;
    try {
      const unauthorised = await app.inject({ method: 'POST', url: '/v1/admin/webhooks', payload: { url } });
      expect(unauthorised.statusCode).toBe(401);
      const badUrl = await app.inject({ method: 'POST', url: '/v1/admin/webhooks', payload: { url: 'ftp://x' }, headers: { 'x-api-key': TEST_ADMIN_KEY } });
      expect(badUrl.json().message).toMatch(/^url: /);

      const registered = await app.inject({ method: 'POST', url: '/v1/admin/webhooks', payload: { url, filter: 'insiders' }, headers: { 'x-api-key': TEST_ADMIN_KEY } });
      expect(registered.statusCode).toBe(201);
      const hook = registered.json();
      expect(hook.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const listed = (await app.inject({ url: '/v1/admin/webhooks', headers: { 'x-api-key': TEST_ADMIN_KEY } })).json();
      expect(listed).toEqual([expect.objectContaining({ id: hook.id, url, active: true })]);
      expect(listed[0].secret).toBeUndefined();

      const entered = segmentChange('12349', ENGAGED, ELITE);
      await publish([segmentChange('12350', ENGAGED, DORMANT), entered]);

      await expectEventually(() => expect(received).toHaveLength(2));
      for (const r of received) {
        const ok = verifyWebhookSignature(hook.secret, String(r.headers['x-insiders-timestamp']), r.body, String(r.headers['x-insiders-signature']));
        expect(ok).toBe(true);
        expect(verifyWebhookSignature('another-secret-123456', String(r.headers['x-insiders-timestamp']), r.body, String(r.headers['x-insiders-signature']))).toBe(false);
      }
      expect(received.map((r) => r.headers['x-insiders-attempt'])).toEqual(['1', '2']);
      expect(received[0]!.headers['x-insiders-delivery']).toBe(received[1]!.headers['x-insiders-delivery']);
      const payload = JSON.parse(received[1]!.body);
      expect(payload.webhookId).toBe(hook.id);
      // The "insiders" filter keeps only Insider entries/exits.
      expect(payload.events).toEqual([entered]);

      await expectEventually(async () => {
        const log = (await app.inject({ url: `/v1/admin/webhooks/${hook.id}/deliveries`, headers: { 'x-api-key': TEST_ADMIN_KEY } })).json();
        expect(log.items.map((a: { attempt: number; outcome: string; statusCode: number }) => [a.attempt, a.outcome, a.statusCode])).toEqual([
          [2, 'delivered', 204],
          [1, 'retrying', 500],
        ]);
        expect(log.items[1].nextAttemptAt).not.toBeNull();
      });

      const deactivated = await app.inject({ method: 'DELETE', url: `/v1/admin/webhooks/${hook.id}`, headers: { 'x-api-key': TEST_ADMIN_KEY } });
      expect(deactivated.json().active).toBe(false);
      expect((await app.inject({ method: 'DELETE', url: '/v1/admin/webhooks/not-a-uuid', headers: { 'x-api-key': TEST_ADMIN_KEY } })).json().message).toMatch(/^id: /);
      await publish([segmentChange('12351', ENGAGED, ELITE, { at: '2011-12-11T00:00:00.000Z' })]);
      await bus.drained();
      expect(received).toHaveLength(2);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up at once on a permanent client error (410) and logs the failed attempt', async () => {
    let hits = 0;
    const server: Server = createServer((req, res) => {
      hits++;
      req.resume();
      req.on('end', () => res.writeHead(410).end('gone'));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/gone`;
    try {
      const hook = (await app.inject({ method: 'POST', url: '/v1/admin/webhooks', payload: { url }, headers: { 'x-api-key': TEST_ADMIN_KEY } })).json();
      await publish([segmentChange('12347', ELITE, ENGAGED, { at: '2011-12-12T00:00:00.000Z' })]);
      await expectEventually(async () => {
        const log = (await app.inject({ url: `/v1/admin/webhooks/${hook.id}/deliveries`, headers: { 'x-api-key': TEST_ADMIN_KEY } })).json();
        expect(log.items.map((a: { attempt: number; outcome: string; statusCode: number }) => [a.attempt, a.outcome, a.statusCode])).toEqual([[1, 'failed', 410]]);
      });
      await bus.drained();
      expect(hits).toBe(1);
      await app.inject({ method: 'DELETE', url: `/v1/admin/webhooks/${hook.id}`, headers: { 'x-api-key': TEST_ADMIN_KEY } });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
