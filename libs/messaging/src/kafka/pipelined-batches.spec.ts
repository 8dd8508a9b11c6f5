import { EventEmitter } from 'node:events';
import { expectEventually } from '@insiders/testing';
import type { Batch, Consumer, EachBatchPayload } from 'kafkajs';
import type { ConsumedBatch } from '../event-bus';
import { PipelinedBatches } from './pipelined-batches';

// PipelinedBatches against a stand-in for the kafkajs consumer (no broker): what it hands over, resolves, commits.
// test/integration/kafka-bus.test.ts runs the same through a real broker.

const TOPIC = 't';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Polls until the expectation holds (what the code under test does next is asynchronous). */
const eventually = (check: () => void) => expectEventually(check, { timeoutMs: 5000, intervalMs: 1 });

/**
 * Gives what could wrongly happen next the chance to: only before asserting that something did NOT happen (such an
 * assertion cannot turn flaky by waiting too little, it could only miss a bug).
 */
const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

function setup(batchesInFlight = 2) {
  const events = new EventEmitter();
  const commits: string[] = [];
  const warnings: string[] = [];
  let failCommits = false;
  const consumer = {
    events: { GROUP_JOIN: 'group-join' },
    on: (event: string, listener: () => void) => events.on(event, listener),
    pause: jest.fn(),
    commitOffsets: jest.fn(async (offsets: { partition: number; offset: string }[]) => {
      if (failCommits) throw new Error('The coordinator is rebalancing');
      commits.push(...offsets.map((o) => `${o.partition}@${o.offset}`));
    }),
  } as unknown as Consumer;
  /** The handler call of each batch (by partition and first offset) waits until the test settles it. */
  const calls = new Map<string, ReturnType<typeof deferred>[]>();
  const pipeline = new PipelinedBatches(
    consumer,
    (batch: ConsumedBatch) => {
      const key = `${batch.partition}:${batch.messages[0]!.offset}`;
      const call = deferred();
      calls.set(key, [...(calls.get(key) ?? []), call]);
      return call.promise;
    },
    {
      topic: TOPIC,
      groupId: 'g',
      batchesInFlight,
      retryDelayMs: 1,
      retryMaxDelayMs: 2,
      heartbeatStepMs: 5,
      decode: (batch: Batch) => ({ topic: TOPIC, partition: batch.partition, messages: batch.messages.map((m) => ({ offset: m.offset })) }) as unknown as ConsumedBatch,
      warn: (message) => warnings.push(message),
    },
  );
  const rejoin = () => events.emit('group-join');
  rejoin(); // kafkajs joins before the first fetch
  let running = true;
  const resolved: string[] = [];
  const heartbeat = jest.fn(async () => undefined);
  /** kafkajs calling eachBatch with the messages [from, to] of a partition, fetched from `from`. */
  const eachBatch = (partition: number, from: number, to: number) =>
    pipeline.eachBatch({
      batch: {
        topic: TOPIC,
        partition,
        fetchedOffset: String(from),
        messages: Array.from({ length: to - from + 1 }, (_, i) => ({ offset: String(from + i) })),
        firstOffset: () => String(from),
        lastOffset: () => String(to),
      } as unknown as Batch,
      heartbeat,
      isRunning: () => running,
      isStale: () => false,
      resolveOffset: (offset: string) => void resolved.push(`${partition}@${offset}`),
    } as unknown as EachBatchPayload);
  const call = (partition: number, first: number, attempt = 1) => {
    const call = calls.get(`${partition}:${first}`)?.[attempt - 1];
    if (!call) throw new Error(`no handler call ${attempt} for ${partition}:${first}`);
    return call;
  };
  return {
    pipeline,
    consumer,
    eachBatch,
    call,
    calls,
    commits,
    warnings,
    resolved,
    heartbeat,
    rejoin,
    stopConsumer: () => (running = false),
    failCommits: (fail: boolean) => (failCommits = fail),
  };
}

/** Whether a promise has settled by now. */
async function isDone(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  void promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

describe('PipelinedBatches', () => {
  it('hands a batch over, resolves its offset and returns before the handler resolves; commits once it does', async () => {
    const t = setup();
    await t.eachBatch(0, 0, 9);
    expect(t.resolved).toEqual(['0@9']);
    expect(t.commits).toEqual([]);
    t.call(0, 0).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@10']));
  });

  it('commits in offset order when handlers finish out of order', async () => {
    const t = setup(3);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    await t.eachBatch(0, 20, 29);
    t.call(0, 20).resolve();
    t.call(0, 10).resolve();
    await settle();
    expect(t.commits).toEqual([]);
    t.call(0, 0).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@30']));
  });

  it('holds the next batch of a partition back (heartbeating) while batchesInFlight batches are uncommitted', async () => {
    const t = setup(2);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    await t.eachBatch(1, 0, 9); // other partitions are not held back
    const third = t.eachBatch(0, 20, 29);
    t.call(0, 10).resolve(); // done, but behind the first: still uncommitted
    await eventually(() => expect(t.heartbeat).toHaveBeenCalled());
    expect(await isDone(third)).toBe(false);
    expect(t.calls.has('0:20')).toBe(false);
    expect(t.resolved).not.toContain('0@29');
    t.call(0, 0).resolve();
    await third;
    expect(t.resolved).toContain('0@29');
    await eventually(() => expect(t.commits).toEqual(['0@20']));
  });

  it('retries a rejected handler; later batches finish but are committed only after it', async () => {
    const t = setup(3);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    t.call(0, 0).reject(new Error('storage down'));
    t.call(0, 10).resolve();
    await eventually(() => expect(t.calls.get('0:0')).toHaveLength(2));
    expect(t.warnings).toEqual([expect.stringMatching(/handler failed for t\[0\] offsets 0\.\.9 \(attempt 1\); retrying in 1 ms/)]);
    expect(t.commits).toEqual([]);
    t.call(0, 0, 2).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@20']));
  });

  it('waits for the running handlers of a partition before a refetch starts a new chain; a rebalance drops old commits', async () => {
    const t = setup(3);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    t.call(0, 0).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@10']));
    t.rejoin(); // the group rebalanced; kafkajs refetches from the committed offset 10
    const refetch = t.eachBatch(0, 10, 19);
    expect(await isDone(refetch)).toBe(false); // the old handler of 10..19 still runs
    expect(t.calls.get('0:10')).toHaveLength(1);
    t.call(0, 10).resolve();
    await refetch;
    expect(t.calls.get('0:10')).toHaveLength(2); // handed over again, as a new chain
    t.call(0, 10, 2).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@10', '0@20'])); // once: the old chain's success committed nothing
  });

  it('stops retrying a failing handler of a chain retired by a rebalance', async () => {
    const t = setup(3);
    await t.eachBatch(0, 0, 9);
    t.call(0, 0).reject(new Error('storage down'));
    await eventually(() => expect(t.calls.get('0:0')).toHaveLength(2));
    t.rejoin();
    t.call(0, 0, 2).reject(new Error('still down'));
    await eventually(() => expect(t.warnings.at(-1)).toMatch(/attempt 2\); giving up/));
    await t.eachBatch(0, 0, 9); // the refetch starts a new chain once the given-up handler settled
    expect(t.calls.get('0:0')).toHaveLength(3);
  });

  it('drain(): pauses, hands nothing more over, lets running handlers finish and sends their commits; a failing one stops', async () => {
    const t = setup(4);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    await t.eachBatch(0, 20, 29);
    t.call(0, 10).reject(new Error('poison'));
    t.call(0, 20).resolve();
    await eventually(() => expect(t.calls.get('0:10')).toHaveLength(2)); // its retry runs
    const drained = t.pipeline.drain();
    expect(t.consumer.pause).toHaveBeenCalledWith([{ topic: TOPIC }]);
    await t.eachBatch(0, 30, 39); // a batch fetched before the pause: returned without hand-over or resolve
    expect(t.calls.has('0:30')).toBe(false);
    expect(t.resolved).not.toContain('0@39');
    t.call(0, 10, 2).reject(new Error('poison'));
    await eventually(() => expect(t.warnings.at(-1)).toMatch(/attempt 2\); giving up/)); // no retry after drain() began
    expect(await isDone(drained)).toBe(false); // 0..9 still runs
    t.call(0, 0).resolve();
    await drained;
    expect(t.commits).toEqual(['0@10']); // 10..19 failed: neither it nor 20..29 is committed
    expect(t.calls.get('0:10')).toHaveLength(2);
  });

  it('logs a failed commit at warn and never lets a later commit skip an unfinished batch', async () => {
    const t = setup(3);
    await t.eachBatch(0, 0, 9);
    await t.eachBatch(0, 10, 19);
    await t.eachBatch(0, 20, 29);
    t.failCommits(true);
    t.call(0, 0).resolve();
    await eventually(() => expect(t.warnings).toEqual([expect.stringMatching(/commit failed for t \[0\]@10/)]));
    t.failCommits(false);
    t.call(0, 20).resolve();
    await settle();
    expect(t.commits).toEqual([]); // 10..19 still runs
    t.call(0, 10).resolve();
    await eventually(() => expect(t.commits).toEqual(['0@30']));
  });

  it('returns without handing over once the consumer stops running', async () => {
    const t = setup();
    t.stopConsumer();
    await t.eachBatch(0, 0, 9);
    expect(t.calls.size).toBe(0);
    expect(t.resolved).toEqual([]);
  });

  it('needs more than one batch in flight (1 is the plain path of KafkaBus)', () => {
    expect(() => setup(1)).toThrow(/batchesInFlight must be an integer > 1/);
  });
});
