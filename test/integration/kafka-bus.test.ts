import { type ConsumedBatch, KafkaBus, type KafkaBusOptions, kafkajsFastPathStatus, partitionOfKey, type Subscription } from '@insiders/messaging';
import {
  committedOffsets,
  consumeAll,
  createUniqueTopic,
  expectEventually,
  kafkaBrokersFromEnv,
  readAllMessages,
  testKafka,
  topicEndOffsets,
  topicMessageCount,
  uniqueName,
} from '@insiders/testing';

// KafkaBus against the real broker (test/support/global-setup.ts). Every test has its own topic and group.

// The integration project's testTimeout is not applied by jest 29 (it is a global option), hence this.
jest.setTimeout(120_000);

const brokers = kafkaBrokersFromEnv();
const buses: KafkaBus[] = [];

function newBus(options: Partial<KafkaBusOptions> = {}): KafkaBus {
  const bus = new KafkaBus({ brokers, clientId: 'kafka-bus-test', ...options });
  buses.push(bus);
  return bus;
}

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
});

const text = (batch: ConsumedBatch) => batch.messages.map((m) => m.value.toString());

describe('KafkaBus', () => {
  it('round-trips keyed messages with headers, creates topics idempotently and answers ping', async () => {
    const bus = newBus();
    await bus.ping();
    const topic = uniqueName('bus-roundtrip');
    await bus.ensureTopics([{ topic, partitions: 3 }]);
    await bus.ensureTopics([{ topic, partitions: 3 }]); // second call is a no-op
    const admin = testKafka(brokers).admin();
    await admin.connect();
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    await admin.disconnect();
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const sent = Array.from({ length: 200 }, (_, i) => ({
      key: `customer-${i % 17}`,
      value: JSON.stringify({ i, text: 'é ü ✓' }),
      headers: { 'event-type': 'test', seq: String(i) },
    }));
    await bus.publish(topic, sent);

    const received: ConsumedBatch['messages'] = [];
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (batch) => {
      expect(batch.topic).toBe(topic);
      received.push(...batch.messages);
    });
    await expectEventually(() => expect(received).toHaveLength(200));
    await sub.stop();

    const bySeq = new Map(received.map((m) => [m.headers.seq, m]));
    for (const s of sent) {
      const got = bySeq.get(s.headers.seq)!;
      expect(got.key).toBe(s.key);
      expect(got.value.toString()).toBe(s.value);
      expect(got.headers['event-type']).toBe('test');
      expect(Number.isFinite(got.timestamp) && got.timestamp > 0).toBe(true);
    }
    expect(new Set(received.map((m) => m.partition)).size).toBe(3);
  });

  it('encodes produce requests with the kafkajs fast path: null keys, empty and long values, many requests in a row', async () => {
    // @insiders/messaging is imported before anything else loads kafkajs, so all of the fast path is on here
    expect(kafkajsFastPathStatus()).toEqual({ kafkajsVersion: '2.2.4', produceEncoder: true, grouping: true, framing: true, fetchDecoder: true });
    const bus = newBus({ publishChunkMessages: 97 }); // many produce requests per publish: sequence numbers continue
    const topic = await createUniqueTopic('bus-fast-path', 4, brokers);
    const sent = Array.from({ length: 1000 }, (_, i) => ({
      key: i % 10 === 0 ? null : `ключ-${i % 37}`,
      value: i % 100 === 1 ? Buffer.alloc(0) : i % 250 === 2 ? 'L'.repeat(200_000 + i) : Buffer.from(JSON.stringify({ i, t: 'é ✓ 😀' })),
    }));
    await bus.publish(topic, sent.slice(0, 600));
    await bus.publish(topic, sent.slice(600));
    const received: ConsumedBatch['messages'] = [];
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (batch) => void received.push(...batch.messages));
    await expectEventually(() => expect(received).toHaveLength(sent.length));
    await sub.stop();
    const got = new Map<string, { key: string | null; partition: number; order: number }>();
    received.forEach((m, order) => got.set(m.value.length === 0 ? `empty-${order}` : m.value.toString(), { key: m.key, partition: m.partition, order }));
    for (const s of sent) {
      const value = Buffer.isBuffer(s.value) ? s.value.toString() : s.value;
      if (value.length === 0) continue;
      const m = got.get(value);
      expect(m?.key).toBe(s.key);
      if (s.key !== null) expect(m?.partition).toBe(partitionOfKey(s.key, 4));
    }
    expect(received.filter((m) => m.value.length === 0)).toHaveLength(sent.filter((s) => s.value.length === 0).length);
  });

  it.each([1, 3])('keeps per-key order across partitions (%i producer shards, partitions consumed concurrently)', async (producerShards) => {
    const bus = newBus({ partitionsConsumedConcurrently: 3, maxBytesPerPartition: 4096, producerShards });
    const topic = await createUniqueTopic('bus-order', 6, brokers);
    const keys = Array.from({ length: 24 }, (_, k) => `key-${k}`);
    const perKey = 40;
    // several publish calls, keys interleaved within each
    for (let round = 0; round < 4; round++) {
      const messages = [];
      for (let seq = round * 10; seq < (round + 1) * 10; seq++)
        for (const key of keys) messages.push({ key, value: JSON.stringify({ key, seq }) });
      await bus.publish(topic, messages);
    }
    const seen = new Map<string, { seqs: number[]; partitions: Set<number> }>();
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (batch) => {
      for (const m of batch.messages) {
        const { key, seq } = JSON.parse(m.value.toString()) as { key: string; seq: number };
        expect(m.key).toBe(key);
        const entry = seen.get(key) ?? { seqs: [], partitions: new Set<number>() };
        entry.seqs.push(seq);
        entry.partitions.add(m.partition);
        seen.set(key, entry);
      }
    });
    await expectEventually(() => expect([...seen.values()].reduce((n, e) => n + e.seqs.length, 0)).toBe(keys.length * perKey));
    await sub.stop();
    const usedPartitions = new Set<number>();
    for (const key of keys) {
      const entry = seen.get(key)!;
      expect(entry.seqs).toEqual(Array.from({ length: perKey }, (_, i) => i));
      expect(entry.partitions.size).toBe(1);
      usedPartitions.add([...entry.partitions][0]!);
    }
    expect(usedPartitions.size).toBeGreaterThan(1);
  });

  it('redelivers the same batch to a handler that throws and commits nothing until it succeeds', async () => {
    const logged: string[] = [];
    const bus = newBus({ retryDelayMs: 50, retryMaxDelayMs: 200, logger: (level, message, extra) => logged.push(`${level} ${message} ${extra?.error}`) });
    const topic = await createUniqueTopic('bus-fail', 1, brokers);
    const groupId = uniqueName('g');
    await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: 'k', value: `m${i}` })));

    const attempts: string[][] = [];
    let healthy = false;
    const delivered: string[] = [];
    const sub = await bus.subscribe({ topic, groupId }, async (batch) => {
      attempts.push(text(batch));
      if (!healthy) throw new Error('storage down');
      delivered.push(...text(batch));
    });
    await expectEventually(() => expect(attempts.length).toBeGreaterThanOrEqual(3));
    expect(await committedOffsets(groupId, topic, brokers)).toEqual(new Map());
    // every attempt saw the same first messages: nothing was skipped
    for (const attempt of attempts) expect(attempt[0]).toBe('m0');
    expect(logged.some((l) => l.startsWith('warn handler failed') && l.endsWith('storage down'))).toBe(true);
    healthy = true;
    await expectEventually(() => expect(delivered).toEqual(Array.from({ length: 10 }, (_, i) => `m${i}`)));
    await expectEventually(async () => expect(await committedOffsets(groupId, topic, brokers)).toEqual(new Map([[0, 10n]])));
    await sub.stop();
  });

  it('gives an uncommitted batch to the next consumer of the group when the failing one stops', async () => {
    const topic = await createUniqueTopic('bus-fail-restart', 1, brokers);
    const groupId = uniqueName('g');
    const first = newBus({ retryDelayMs: 50, logger: () => undefined });
    await first.publish(topic, [{ key: 'k', value: 'a' }, { key: 'k', value: 'b' }]);
    let failures = 0;
    const failing = await first.subscribe({ topic, groupId }, async () => {
      failures++;
      throw new Error('poison');
    });
    await expectEventually(() => expect(failures).toBeGreaterThanOrEqual(1));
    await failing.stop();
    expect(await committedOffsets(groupId, topic, brokers)).toEqual(new Map());

    const second = newBus();
    const got: string[] = [];
    const sub = await second.subscribe({ topic, groupId }, async (batch) => void got.push(...text(batch)));
    await expectEventually(() => expect(got).toEqual(['a', 'b']));
    await sub.stop();
  });

  it('does not redeliver committed batches after a consumer restart', async () => {
    const topic = await createUniqueTopic('bus-restart', 2, brokers);
    const groupId = uniqueName('g');
    const bus = newBus();
    await bus.publish(topic, Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 4}`, value: `old-${i}` })));

    const firstRun: string[] = [];
    let sub: Subscription = await bus.subscribe({ topic, groupId }, async (b) => void firstRun.push(...text(b)));
    await expectEventually(() => expect(firstRun).toHaveLength(20));
    await expectEventually(async () => {
      const committed = await committedOffsets(groupId, topic, brokers);
      expect([...committed.values()].reduce((a, b) => a + b, 0n)).toBe(20n);
    });
    await sub.stop();

    await bus.publish(topic, Array.from({ length: 5 }, (_, i) => ({ key: `k${i % 4}`, value: `new-${i}` })));
    const secondRun: string[] = [];
    const restarted = newBus();
    sub = await restarted.subscribe({ topic, groupId }, async (b) => void secondRun.push(...text(b)));
    await expectEventually(() => expect(secondRun).toHaveLength(5));
    await sub.stop();
    expect(secondRun.sort()).toEqual(['new-0', 'new-1', 'new-2', 'new-3', 'new-4']);
  });

  it('reports consumer lag per batch', async () => {
    const bus = newBus({ maxBytesPerPartition: 2048 });
    const topic = await createUniqueTopic('bus-lag', 1, brokers);
    // ten produce requests = ten record batches; a fetch of at most 2 kB returns one or two of them
    for (let r = 0; r < 10; r++)
      await bus.publish(topic, Array.from({ length: 10 }, (_, i) => ({ key: null, value: `${r * 10 + i}`.padStart(100, '.') })));
    const batches: { last: number; lag: number | undefined }[] = [];
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (b) => {
      batches.push({ last: Number(b.messages[b.messages.length - 1]!.offset), lag: b.lag });
    });
    await expectEventually(() => expect(batches[batches.length - 1]?.last).toBe(99));
    await sub.stop();
    expect(batches.length).toBeGreaterThan(1);
    for (const b of batches) expect(b.lag).toBe(100 - b.last - 1);
    expect(batches[0]!.lag).toBeGreaterThan(0);
  });

  it('keeps its group membership through a handler slower than the session timeout (heartbeats)', async () => {
    const bus = newBus({ sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 });
    const topic = await createUniqueTopic('bus-slow', 1, brokers);
    const groupId = uniqueName('g');
    await bus.publish(topic, [{ key: 'k', value: 'slow' }]);
    const calls: string[] = [];
    const sub = await bus.subscribe({ topic, groupId }, async (batch) => {
      calls.push(...text(batch));
      if (calls.length === 1) await new Promise((resolve) => setTimeout(resolve, 9000)); // slow work, not a wait
    });
    await expectEventually(async () => expect(await committedOffsets(groupId, topic, brokers)).toEqual(new Map([[0, 1n]])), {
      timeoutMs: 30_000,
    });
    await sub.stop();
    expect(calls).toEqual(['slow']);
  });

  it('rejects a publish to a topic that does not exist instead of retrying forever', async () => {
    const bus = newBus({ logger: () => undefined });
    const started = Date.now();
    await expect(bus.publish(uniqueName('missing'), [{ key: 'k', value: 'v' }])).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(60_000);
    const topic = await createUniqueTopic('bus-after-missing', 1, brokers);
    await bus.publish(topic, [{ key: 'k', value: 'still works' }]); // the bus is usable afterwards
  });

  it('publishes compressed (gzip) messages that consumers read back', async () => {
    const bus = newBus({ compression: 'gzip' });
    const topic = await createUniqueTopic('bus-gzip', 2, brokers);
    const values = Array.from({ length: 500 }, (_, i) => JSON.stringify({ i, pad: 'x'.repeat(200) }));
    await bus.publish(topic, values.map((value, i) => ({ key: `k${i % 7}`, value })));
    const got: string[] = [];
    const sub = await bus.subscribe({ topic, groupId: uniqueName('g') }, async (b) => void got.push(...text(b)));
    await expectEventually(() => expect(got).toHaveLength(500));
    await sub.stop();
    expect(got.sort()).toEqual([...values].sort());
  });

  describe('pipelined consumption (batchesInFlight)', () => {
    // One partition (order matters), 10 messages per produce request and fetches of at most 2 kB: a fetch returns
    // one record batch, so the handler sees many batches of 10 and the offsets say which batch is which.
    const pipelinedBus = (options: Partial<KafkaBusOptions> = {}) =>
      newBus({ publishChunkMessages: 10, maxBytesPerPartition: 2048, retryDelayMs: 50, retryMaxDelayMs: 200, ...options });

    async function topicOfSmallBatches(bus: KafkaBus, prefix: string, count: number): Promise<string> {
      const topic = await createUniqueTopic(prefix, 1, brokers);
      await bus.publish(topic, Array.from({ length: count }, (_, i) => ({ key: 'k', value: String(i).padStart(100, '.') })));
      return topic;
    }

    const offsetsOf = (batch: ConsumedBatch) => batch.messages.map((m) => Number(m.offset));
    const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
    const committed = (groupId: string, topic: string) => committedOffsets(groupId, topic, brokers);

    function gate(): { open: () => void; opened: Promise<void> } {
      let open!: () => void;
      const opened = new Promise<void>((resolve) => (open = resolve));
      return { open, opened };
    }

    /** Handler calls in the order they started: each call's first and last offset. */
    function expectContiguous(calls: number[][]): void {
      for (let i = 1; i < calls.length; i++) expect(calls[i]![0]).toBe(calls[i - 1]!.at(-1)! + 1);
    }

    it.each([4, 1])('batchesInFlight %i: hands the next batch over while the previous one is handled only when > 1', async (batchesInFlight) => {
      const bus = pipelinedBus();
      const topic = await topicOfSmallBatches(bus, 'bus-pipeline', 200);
      const groupId = uniqueName('g');
      const calls: number[][] = [];
      const received: number[] = [];
      let active = 0;
      let maxActive = 0;
      const laterBatch = gate();
      const sub = await bus.subscribe({ topic, groupId, batchesInFlight }, async (batch) => {
        calls.push(offsetsOf(batch));
        maxActive = Math.max(maxActive, ++active);
        try {
          // pipelined, the first batch's handler finishes only once a later batch was handed over (else it never
          // would); one at a time, nothing can be handed over meanwhile, which a bounded wait gives the chance to
          if (calls.length === 1) await (batchesInFlight > 1 ? laterBatch.opened : Promise.race([laterBatch.opened, new Promise((r) => setTimeout(r, 1000))]));
          else laterBatch.open();
          received.push(...offsetsOf(batch));
        } finally {
          active--;
        }
      });
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, 200n]])));
      await sub.stop();
      expect(received.sort((a, b) => a - b)).toEqual(range(0, 200));
      expect(calls.length).toBeGreaterThanOrEqual(10);
      expectContiguous(calls); // calls start in offset order, each where the previous one ended
      if (batchesInFlight === 1) expect(maxActive).toBe(1);
      else expect(maxActive).toBeGreaterThan(1);
      expect(maxActive).toBeLessThanOrEqual(batchesInFlight);
    });

    it('commits in offset order: a delayed batch holds back the commits of later batches that finished', async () => {
      const bus = pipelinedBus();
      const topic = await topicOfSmallBatches(bus, 'bus-pipeline-order', 100);
      const groupId = uniqueName('g');
      const calls: number[][] = [];
      const finished: number[] = [];
      const release = gate();
      const sub = await bus.subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => {
        calls.push(offsetsOf(batch));
        if (calls.length === 3) await release.opened;
        finished.push(calls.length);
      });
      // batches 1 and 2 are committed; batch 3 is delayed; batches 4-6 finish; the 7th is not handed over (4 uncommitted)
      await expectEventually(() => expect(finished.sort()).toEqual([1, 2, 4, 5, 6]));
      const delayedFrom = BigInt(calls[2]![0]!);
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, delayedFrom]])));
      expect(calls).toHaveLength(6);
      expect(await committed(groupId, topic)).toEqual(new Map([[0, delayedFrom]])); // still, with batches 4-6 done
      release.open();
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, 100n]])));
      await sub.stop();
      expectContiguous(calls);
      expect(calls.flat()).toEqual(range(0, 100));
    });

    it('retries a failing batch, commits no later batch while it fails, and loses nothing', async () => {
      const logged: string[] = [];
      const bus = pipelinedBus({ logger: (level, message) => logged.push(`${level} ${message}`) });
      const topic = await topicOfSmallBatches(bus, 'bus-pipeline-retry', 200);
      const groupId = uniqueName('g');
      const firsts: number[] = []; // first offset of every distinct batch, in hand-over order
      const attempts = new Map<number, number>();
      const delivered: number[] = [];
      const failAgain = gate();
      const sub = await bus.subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => {
        const offsets = offsetsOf(batch);
        const first = offsets[0]!;
        if (!firsts.includes(first)) firsts.push(first);
        const attempt = (attempts.get(first) ?? 0) + 1;
        attempts.set(first, attempt);
        if (first === firsts[1] && attempt === 1) throw new Error('storage down');
        if (first === firsts[1] && attempt === 2) {
          await failAgain.opened;
          throw new Error('still down');
        }
        delivered.push(...offsets);
      });
      // the second batch fails (its second attempt is about to); batches 3-5 were handed over and finished meanwhile
      await expectEventually(() => {
        expect(attempts.get(firsts[1]!)).toBe(2);
        expect(firsts).toHaveLength(5);
        expect(delivered).toHaveLength(40);
      });
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, BigInt(firsts[1]!)]])));
      failAgain.open();
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, 200n]])));
      await sub.stop();
      expect(attempts.get(firsts[1]!)).toBe(3);
      expect(delivered.sort((a, b) => a - b)).toEqual(range(0, 200)); // each exactly once: none lost, none doubled
      expect(logged.filter((l) => l.startsWith('warn handler failed') && l.includes('retrying in'))).toHaveLength(2);
    });

    it('stop() lets running handlers finish, commits exactly the finished prefix and leaves the rest to the next consumer', async () => {
      const bus = pipelinedBus({ logger: () => undefined });
      const topic = await topicOfSmallBatches(bus, 'bus-pipeline-stop', 200);
      const groupId = uniqueName('g');
      const firsts: number[] = [];
      const done = new Set<number>();
      let failures = 0;
      const slow = gate();
      const sub = await bus.subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => {
        const offsets = offsetsOf(batch);
        if (!firsts.includes(offsets[0]!)) firsts.push(offsets[0]!);
        const index = firsts.indexOf(offsets[0]!);
        if (index === 2) await slow.opened; // still running when stop() is called; finishes during it
        if (index === 3) {
          failures++;
          throw new Error('poison'); // still failing when stop() is called
        }
        for (const offset of offsets) done.add(offset);
      });
      await expectEventually(() => {
        expect(firsts).toHaveLength(6); // batches 3-6 uncommitted: the 7th is held back
        expect(failures).toBeGreaterThanOrEqual(1);
        expect(done.size).toBe(40); // batches 1, 2, 5 and 6
      });
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, BigInt(firsts[2]!)]])));
      const stopped = sub.stop();
      slow.open();
      await stopped;
      const failuresAtStop = failures;
      // batches 1-3 resolved, batch 4 did not: the commit ends exactly after batch 3, none of 5 and 6 is committed
      expect(await committed(groupId, topic)).toEqual(new Map([[0, BigInt(firsts[3]!)]]));
      expect(done.size).toBe(50);

      const next = pipelinedBus();
      const redelivered: number[] = [];
      const again = await next.subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => void redelivered.push(...offsetsOf(batch)));
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map([[0, 200n]])));
      await again.stop();
      expect(redelivered).toEqual(range(firsts[3]!, 200)); // from the first unfinished batch on, nothing lost
      expect(failures).toBe(failuresAtStop); // the failing handler stopped retrying with stop()
    });

    it('survives a rebalance with handlers in flight: old batches finish, every message is delivered, commits reach the end', async () => {
      const bus = pipelinedBus({ logger: () => undefined });
      const topic = await createUniqueTopic('bus-pipeline-rebalance', 2, brokers);
      for (const key of ['a', 'b', 'c', 'd']) await bus.publish(topic, Array.from({ length: 100 }, (_, i) => ({ key, value: `${key}${i}`.padStart(100, '.') })));
      const ends = [...(await topicEndOffsets(topic, brokers))];
      const groupId = uniqueName('g');
      const delivered = new Map<number, Set<number>>([[0, new Set()], [1, new Set()]]);
      const record = (batch: ConsumedBatch) => offsetsOf(batch).forEach((offset) => delivered.get(batch.partition)!.add(offset));
      const joined = gate();
      let heldBack = 0;
      const first = await bus.subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => {
        heldBack++;
        await joined.opened; // both partitions' handlers are in flight while the second member joins
        record(batch);
      });
      await expectEventually(() => expect(heldBack).toBe(8)); // 4 batches of each partition: backpressure
      const second = await pipelinedBus().subscribe({ topic, groupId, batchesInFlight: 4 }, async (batch) => void record(batch));
      joined.open();
      await expectEventually(async () => expect(await committed(groupId, topic)).toEqual(new Map(ends)), { timeoutMs: 60_000 });
      await Promise.all([first.stop(), second.stop()]);
      for (const [partition, end] of ends) expect([...delivered.get(partition)!].sort((a, b) => a - b)).toEqual(range(0, Number(end)));
    });
  });

  it('test helpers read a whole topic up to its end offsets', async () => {
    const bus = newBus();
    const topic = await createUniqueTopic('helpers-read-all', 3, brokers);
    expect(await consumeAll(topic, () => undefined, { brokers })).toBe(0);
    await bus.publish(topic, Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, headers: { i: String(i) } })));
    expect(await topicMessageCount(topic, brokers)).toBe(30);
    const all = await readAllMessages(topic, { brokers });
    expect(all.map((m) => m.value).sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${i}`).sort());
    for (const m of all) expect(m.headers.i).toBe(m.value.slice(1));
    // ordered by partition, then offset
    const order = all.map((m) => [m.partition, Number(m.offset)] as const);
    expect(order).toEqual([...order].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });
});
