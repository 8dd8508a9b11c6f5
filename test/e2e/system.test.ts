// The whole system as a user runs it: `npm start` (the embedded default) replays the seed data set, fits the first
// model and serves the API and dashboard; new invoice lines posted over HTTP move a customer's features and
// membership. Run twice: events on the in-process bus, and events through the real Kafka broker.
import { uniqueName } from '@insiders/testing';
import { expectEventually } from '@insiders/testing';
import { getJson, startSystem, type RunningSystem } from '../support/standalone.process';
import { tempChdbDir } from '@insiders/testing';

interface Scenario {
  name: string;
  env: () => Record<string, string>;
  replayLimit: number;
}

const scenarios: Scenario[] = [
  // the main job as `make run` does it (on the first 200k lines of the seed data set, to bound the suite's time)
  { name: 'embedded default (in-process bus)', env: () => ({ KAFKA_BROKERS: '' }), replayLimit: 200_000 },
  // same process layout with the events on the real broker
  {
    name: 'real Kafka broker',
    env: () => ({ KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '', TOPIC_PREFIX: uniqueName('e2e') }),
    replayLimit: 100_000,
  },
];

describe.each(scenarios)('the system on $name', ({ name, env, replayLimit }) => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({
      ...env(),
      CHDB_PATH: tempChdbDir('e2e-system'),
      INSIDERS_REPLAY_FILE: 'data/Ecommerce.csv.gz',
      INSIDERS_REPLAY_LIMIT: String(replayLimit),
      CLUSTERER_POLL_MS: '100',
      API_KEYS: 'e2e-admin-key',
    }, name.split(' ')[0]!);
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('replays the data set, fits a model and serves segments with Insiders', async () => {
    // what the user sees on the console once the start-up replay is stored and the first full model serves
    await expectEventually(() => expect(system.output()).toMatch(/ready: model \d+ is active/), { timeoutMs: 900_000, intervalMs: 1_000 });
    const { status, body: active } = await getJson(`${system.baseUrl}/v1/models/active`);
    expect(status).toBe(200);
    expect(active.status).toBe('active');
    expect(active.k).toBeGreaterThanOrEqual(8);
    expect(active.silhouette).toBeGreaterThan(0);
    expect(active.customers).toBeGreaterThan(1_000);

    const { body: segments } = await getJson(`${system.baseUrl}/v1/segments`);
    const items = segments.segments ?? segments.items;
    expect(Array.isArray(items)).toBe(true);
    const insiders = items.filter((s: { isInsiders: boolean }) => s.isInsiders);
    expect(insiders.length).toBeGreaterThan(0);
    const sizes = items.reduce((sum: number, s: { size: number }) => sum + s.size, 0);
    expect(sizes).toBe(active.customers);
  });

  it('backfills membership history over the replayed period, so segment sizes have a past', async () => {
    await expectEventually(() => expect(system.output()).toMatch(/history backfilled (\d{4}-\d\d-\d\d) \.\. (\d{4}-\d\d-\d\d)/), {
      timeoutMs: 600_000,
      intervalMs: 1_000,
    });
    const [, from] = /history backfilled (\d{4}-\d\d-\d\d)/.exec(system.output())!;
    const { body: active } = await getJson(`${system.baseUrl}/v1/models/active`);
    const to = new Date(Date.parse(active.dataCutoff) + 86_400_000).toISOString();
    const { status, body } = await getJson(`${system.baseUrl}/v1/segments/sizes?from=${from}T00:00:00Z&to=${to}&bucket=week`);
    expect(status).toBe(200);
    const total = (i: number) => body.series.reduce((sum: number, s: { points: [number, number][] }) => sum + s.points[i]![1], 0);
    const weeks = body.series[0].points.length;
    expect(weeks).toBeGreaterThan(2);
    // customers accumulate over the period, and nobody is counted twice: the last week equals the active model's size
    expect(total(0)).toBeLessThan(total(weeks - 1));
    expect(total(weeks - 1)).toBe(active.customers);
  });

  it('answers a customer lookup with segment, Insider flag and explanation, and serves the dashboard', async () => {
    const { body: list } = await getJson(`${system.baseUrl}/v1/insiders?limit=1`);
    expect(list.total).toBeGreaterThan(0);
    const insiderId: string = list.items[0].customerId;
    const { status, body: customer } = await getJson(`${system.baseUrl}/v1/customers/${insiderId}`);
    expect(status).toBe(200);
    expect(customer.insider).toBe(true);
    expect(customer.segment.isInsiders).toBe(true);
    expect(customer.features.grossRevenue).toBeGreaterThan(0);
    expect(customer.explanation).toBeTruthy();

    const page = await fetch(`${system.baseUrl}/dashboard`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<html');
    const { status: badStatus, body: bad } = await getJson(`${system.baseUrl}/v1/insiders?limit=100000`);
    expect(badStatus).toBe(400);
    expect(JSON.stringify(bad)).toContain('limit');
  });

  it('moves a new customer into a segment within seconds of their invoice lines arriving over HTTP', async () => {
    const customerId = String(90_000 + Math.floor(Math.random() * 9_000));
    const lines = Array.from({ length: 40 }, (_, i) => ({
      schema: 'invoice-line/v1',
      eventId: uniqueName(`e2e-${customerId}-${i}`),
      invoiceNo: `E2E${customerId}${i % 8}`,
      stockCode: `SKU${i}`,
      description: 'E2E ITEM',
      quantity: 50,
      invoiceTime: new Date(Date.UTC(2017, 10, 1 + (i % 8), 10)).toISOString(),
      unitPrice: 12.5,
      customerId,
      country: 'United Kingdom',
    }));
    const posted = await getJson(`${system.baseUrl}/v1/invoice-lines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(lines),
    });
    expect(posted.status).toBeLessThan(300);
    expect(posted.body.accepted).toBe(40);

    const customer = await expectEventually(
      async () => {
        const { status, body } = await getJson(`${system.baseUrl}/v1/customers/${customerId}`);
        expect(status).toBe(200);
        expect(body.features?.grossRevenue).toBeCloseTo(40 * 50 * 12.5, 2);
        expect(body.segment).not.toBeNull();
        return body;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect(customer.membership.reason).toBe('incremental');

    // a posted batch with a bad row is refused whole and names the row and field
    const bad = await getJson(`${system.baseUrl}/v1/invoice-lines`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([{ ...lines[0], eventId: uniqueName('e2e-bad'), quantity: 'many' }]),
    });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('quantity');
  });

  it('lets an admin trigger a refit through the API, and refuses without the key', async () => {
    const refused = await getJson(`${system.baseUrl}/v1/admin/refit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'e2e' }),
    });
    expect(refused.status).toBe(401);
    const before = (await getJson(`${system.baseUrl}/v1/models/active`)).body.version as number;
    const accepted = await getJson(`${system.baseUrl}/v1/admin/refit`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'e2e-admin-key' },
      body: JSON.stringify({ reason: 'e2e' }),
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(true);
    // the refit is registered as the next model version; it becomes active only if it passes validation
    // (otherwise the previous model keeps serving and the registry says why)
    const next = await expectEventually(
      async () => {
        const { body } = await getJson(`${system.baseUrl}/v1/models?limit=10`);
        const found = body.items.find((m: { version: number }) => m.version === before + 1);
        expect(['active', 'rejected']).toContain(found?.status);
        return found;
      },
      { timeoutMs: 600_000, intervalMs: 1_000 },
    );
    const { body: active } = await getJson(`${system.baseUrl}/v1/models/active`);
    expect(active.version).toBe(next.status === 'active' ? next.version : before);
  });
});
