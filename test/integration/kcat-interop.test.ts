import { type IncomingMessage, KafkaBus } from '@insiders/messaging';
import {
  createUniqueTopic,
  expectEventually,
  kafkaBrokersFromEnv,
  kcatConsumeAll,
  kcatProduce,
  requireKcat,
  uniqueName,
} from '@insiders/testing';

// An independent client (kcat, librdkafka) reads what KafkaBus writes and writes what KafkaBus reads.
jest.setTimeout(120_000);

const brokers = kafkaBrokersFromEnv();
let bus: KafkaBus;

beforeAll(() => {
  requireKcat();
  bus = new KafkaBus({ brokers, clientId: 'kcat-interop-test' });
});

afterAll(async () => {
  await bus.close();
});

describe('kcat interop', () => {
  it('kcat reads every message KafkaBus wrote, with keys, values and headers', async () => {
    const topic = await createUniqueTopic('kcat-read', 3, brokers);
    const sent = Array.from({ length: 60 }, (_, i) => ({
      key: `customer-${i % 9}`,
      value: JSON.stringify({ i, description: 'RED RETROSPOT CAKE STAND – £' }),
      headers: { 'content-type': 'application/json', seq: String(i) },
    }));
    await bus.publish(topic, sent);

    const read = await kcatConsumeAll(brokers, topic);
    expect(read).toHaveLength(sent.length);
    const bySeq = new Map(read.map((m) => [m.headers.seq, m]));
    for (const s of sent) {
      const m = bySeq.get(s.headers.seq)!;
      expect(m.key).toBe(s.key);
      expect(m.value).toBe(s.value);
      expect(m.headers['content-type']).toBe('application/json');
    }
    // per-key order as written
    for (let k = 0; k < 9; k++) {
      const seqs = read.filter((m) => m.key === `customer-${k}`).sort((a, b) => a.offset - b.offset).map((m) => Number(m.headers.seq));
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });

  it('KafkaBus partitions keys like the Java client (kcat with the murmur2 partitioner agrees)', async () => {
    const topic = await createUniqueTopic('kcat-partitioner', 6, brokers);
    const keys = Array.from({ length: 30 }, (_, i) => `${12346 + i * 7}`);
    await bus.publish(topic, keys.map((key) => ({ key, value: 'bus' })));
    await kcatProduce(brokers, topic, keys.map((key) => ({ key, value: 'kcat' })), { config: { partitioner: 'murmur2_random' } });
    const read = await kcatConsumeAll(brokers, topic);
    expect(read).toHaveLength(keys.length * 2);
    for (const key of keys) {
      const partitions = new Set(read.filter((m) => m.key === key).map((m) => m.partition));
      expect(partitions.size).toBe(1);
    }
    expect(new Set(read.map((m) => m.partition)).size).toBeGreaterThan(1);
  });

  it('KafkaBus consumes what kcat wrote: keys, null keys, multi-line and unicode values, headers', async () => {
    const topic = await createUniqueTopic('kcat-write', 2, brokers);
    const written = [
      { key: '17850', value: '{"invoiceNo":"536365","quantity":6}' },
      { key: '17850', value: 'line one\nline two' },
      { key: null, value: 'no key – ünïcödé ✓' },
      ...Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `v${i}` })),
    ];
    await kcatProduce(brokers, topic, written, { headers: { source: 'kcat' } });

    const got: IncomingMessage[] = [];
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (batch) => void got.push(...batch.messages));
    await expectEventually(() => expect(got).toHaveLength(written.length));
    await sub.stop();

    const asText = got.map((m) => ({ key: m.key, value: m.value.toString('utf8') }));
    expect(asText).toEqual(expect.arrayContaining(written));
    for (const m of got) expect(m.headers.source).toBe('kcat');
    for (let k = 0; k < 4; k++) {
      const values = got.filter((m) => m.key === `k${k}`).map((m) => Number(m.value.toString().slice(1)));
      expect(values).toEqual([...values].sort((a, b) => a - b));
    }
  });
});
