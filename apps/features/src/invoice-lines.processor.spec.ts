import { Logger } from '@nestjs/common';
import { encodeInvoiceLine, INVOICE_LINE_V1, type InvoiceLineEvent } from '@insiders/events';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset } from '@insiders/features-core';
import type { ConsumedBatch } from '@insiders/messaging';
import { MetricsRegistry } from '@insiders/observability';
import { expectEventually } from '@insiders/testing';
import type { FeaturesRepository, FirstSeenRow, QuarantineRow } from './features.repository';
import { RAW_COLUMNS, type RawColumn } from './raw-rows.builder';
import { InvoiceLinesProcessor } from './invoice-lines.processor';

Logger.overrideLogger(false);

/** TabSeparated unescaping (what ClickHouse does when it reads the rows and the probed ids). */
const tsvUnescape = (text: string) => text.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', r: '\r' })[c] ?? c);

function event(n: number, overrides: Partial<InvoiceLineEvent> = {}): InvoiceLineEvent {
  return {
    schema: INVOICE_LINE_V1,
    eventId: `f.csv:${n}`,
    invoiceNo: `5000${n}`,
    stockCode: '85123A',
    description: 'HEART',
    quantity: 6,
    invoiceTime: `2017-01-0${1 + (n % 5)}T00:00:00.000Z`,
    unitPrice: 2.55,
    customerId: '17850',
    country: 'United Kingdom',
    source: 'replay:f.csv',
    sourceLine: n,
    ...overrides,
  };
}

function batch(values: (InvoiceLineEvent | string)[], partition = 0): ConsumedBatch {
  return {
    topic: 't',
    partition,
    lag: 5,
    messages: values.map((v, i) => ({ key: null, value: Buffer.from(typeof v === 'string' ? v : encodeInvoiceLine(v)), headers: {}, partition, offset: String(i), timestamp: 0 })),
  };
}

/** What one insertLines call stored (read back from its TabSeparated rows). */
interface Inserted {
  batchSeq: string;
  /** Partitions of the rows, in row order, each once. */
  partitions: number[];
  ids: string[];
}

class FakeRepository {
  calls: string[] = [];
  stored = new Set<string>();
  inserted: Inserted[] = [];
  marked = new Set<string>();
  /** The ids of every existingEventIds call. */
  probed: string[][] = [];
  /** When set, insertLines waits for it (a round held open while more batches arrive). */
  gate?: Promise<void>;
  quarantined: QuarantineRow[] = [];
  firstSeen: FirstSeenRow[] = [];
  changed: string[] = [];
  applied: string[] = [];
  async existingEventIds(ids: Buffer) {
    this.calls.push('exists');
    const lines = ids.toString('utf8').split('\n');
    expect(lines.pop()).toBe(''); // newline-terminated
    this.probed.push(lines.map(tsvUnescape));
    return new Set(lines.map(tsvUnescape).filter((id) => this.stored.has(id)));
  }
  async insertLines(pieces: readonly Buffer[], batchSeq: string, ingestedAtMs: number) {
    this.calls.push('insert');
    await this.gate;
    expect(ingestedAtMs).toBeGreaterThan(0);
    const rows = Buffer.concat(pieces).toString('utf8').split('\n');
    expect(rows.pop()).toBe(''); // newline-terminated
    const columns = rows.map((r) => r.split('\t'));
    columns.forEach((c) => expect(c).toHaveLength(RAW_COLUMNS.length));
    const column = (name: RawColumn) => columns.map((c) => c[RAW_COLUMNS.findIndex(([n]) => n === name)]!);
    const ids = column('event_id').map(tsvUnescape);
    this.inserted.push({ batchSeq, partitions: [...new Set(column('partition').map(Number))], ids });
    for (const id of ids) this.stored.add(id);
  }
  async insertQuarantine(rows: QuarantineRow[]) {
    this.calls.push('quarantine');
    this.quarantined.push(...rows);
  }
  async recordFirstSeen(rows: FirstSeenRow[]) {
    this.calls.push('firstSeen');
    this.firstSeen.push(...rows);
  }
  async applyBatch(policy: { name: string }, seq: string) {
    this.calls.push(`apply:${policy.name}`);
    this.applied.push(seq);
  }
  async markBatchApplied(seq: string) {
    this.calls.push('applied');
    this.marked.add(seq);
  }
  async unappliedBatches() {
    return this.inserted.map((i) => i.batchSeq).filter((seq) => !this.marked.has(seq));
  }
  async markChanged(keys: string[]) {
    this.calls.push('changed');
    this.changed.push(...keys);
  }
}

describe('InvoiceLinesProcessor', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  const setup = () => {
    const repo = new FakeRepository();
    const metrics = new MetricsRegistry({ service: 'test', defaultMetrics: false });
    const processor = new InvoiceLinesProcessor(repo as unknown as FeaturesRepository, [policyPreset('seed-ian'), policyPreset('strict')], DEFAULT_QUARANTINE_BOUNDS, metrics, () => now);
    return { repo, processor, metrics };
  };

  it('stores raw rows before states and marks customers changed last', async () => {
    const { repo, processor, metrics } = setup();
    const outcome = await processor.process(batch([event(1), event(2), event(3, { customerId: null, invoiceNo: '9' })]));
    expect(outcome).toEqual({ received: 3, inserted: 3, duplicates: 0, quarantined: 0 });
    expect(repo.calls).toEqual(['exists', 'quarantine', 'firstSeen', 'insert', 'apply:seed-ian', 'apply:strict', 'applied', 'changed']);
    expect(repo.changed.sort()).toEqual(['17850', 'invoice:9']);
    expect(repo.firstSeen.find((r) => r.customer_key === '17850')?.first_seen).toEqual(['2017-01-02 00:00:00.000', 1]);
    expect(repo.firstSeen.find((r) => r.customer_key === 'invoice:9')?.anonymous).toBe(1);
    const text = await metrics.text();
    expect(text).toContain('features_rows_total{outcome="inserted",service="test"} 3');
    expect(text).toContain('features_consumer_lag_messages{topic="t",partition="0",service="test"} 5');
  });

  it('records the earliest line of each customer key, also when a later line of the same key is earlier', async () => {
    const { repo, processor } = setup();
    await processor.process(
      batch([
        event(5, { invoiceTime: '2017-01-03T00:00:00.000Z' }),
        event(6, { invoiceTime: '2017-01-03T00:00:00.000Z' }),
        event(2, { invoiceTime: '2017-01-01T00:00:00.000Z' }),
        event(7, { customerId: '9' }),
        event(8, { customerId: null, invoiceNo: '9', invoiceTime: '2017-01-02T00:00:00.000Z' }),
        event(9, { customerId: null, invoiceNo: '9', invoiceTime: '2017-01-02T00:00:00.000Z' }),
      ]),
    );
    const firstSeen = Object.fromEntries(repo.firstSeen.map((r) => [r.customer_key, [r.anonymous, ...r.first_seen]]));
    expect(firstSeen).toEqual({
      '17850': [0, '2017-01-01 00:00:00.000', 2],
      '9': [0, '2017-01-03 00:00:00.000', 7],
      'invoice:9': [1, '2017-01-02 00:00:00.000', 8],
    });
  });

  it('drops in-batch and already stored duplicates and inserts nothing for an all-duplicate batch', async () => {
    const { repo, processor } = setup();
    await processor.process(batch([event(1), event(1), event(2)]));
    expect(repo.inserted[0].ids).toEqual(['f.csv:1', 'f.csv:2']);
    const again = await processor.process(batch([event(2), event(1)]));
    expect(again).toEqual({ received: 2, inserted: 0, duplicates: 2, quarantined: 0 });
    expect(repo.inserted).toHaveLength(1);
    expect(repo.applied).toHaveLength(2); // one batch x two policies
    expect(repo.changed).toContain('17850'); // the feed may repeat, never miss
  });

  it('dedupes event ids that need escaping (decoded, not scanned) within a batch, across a round and against storage', async () => {
    const { repo, processor } = setup();
    const odd = (n: number, eventId: string) => event(n, { eventId });
    const [a, b] = await Promise.all([
      processor.process(batch([odd(1, 'x\ty'), odd(2, 'x\\ty'), odd(3, 'x\ty'), odd(4, 'é:1')], 0)),
      processor.process(batch([odd(5, 'é:1'), odd(6, 'x\ny')], 1)),
    ]);
    expect(a).toEqual({ received: 4, inserted: 3, duplicates: 1, quarantined: 0 });
    expect(b).toEqual({ received: 2, inserted: 1, duplicates: 1, quarantined: 0 });
    expect(repo.probed).toEqual([['x\ty', 'x\\ty', 'é:1', 'x\ny']]);
    expect(repo.inserted[0]!.ids).toEqual(['x\ty', 'x\\ty', 'é:1', 'x\ny']);
    const replay = await processor.process(batch([odd(7, 'x\\ty'), odd(8, 'new'), odd(9, 'x\ny')]));
    expect(replay).toEqual({ received: 3, inserted: 1, duplicates: 2, quarantined: 0 });
    expect(repo.inserted[1]!.ids).toEqual(['new']);
  });

  it('quarantines undecodable and absurd events with a reason instead of storing them', async () => {
    const { repo, processor } = setup();
    const outcome = await processor.process(
      batch(['{not json', event(1, { quantity: 5_000_000 }), event(2, { invoiceTime: '2027-01-01T00:00:00.000Z' }), event(3)]),
    );
    expect(outcome).toEqual({ received: 4, inserted: 1, duplicates: 0, quarantined: 3 });
    expect(repo.quarantined.map((q) => q.event_id)).toEqual(['t:0:0', 'f.csv:1', 'f.csv:2']);
    expect(repo.quarantined[0].reason).toMatch(/^undecodable: invalid JSON/);
    expect(repo.quarantined[1].reason).toMatch(/quantity 5000000 beyond/);
    expect(repo.quarantined[2].reason).toMatch(/future/);
    expect(repo.quarantined[0].payload).toBe('{not json');
  });

  it('stores batches handed over together in one round: one insert, one batch_seq, an event id in both stored once', async () => {
    const { repo, processor } = setup();
    const [a, b] = await Promise.all([processor.process(batch([event(1), event(2)], 0)), processor.process(batch([event(2), event(3)], 1))]);
    expect(a).toEqual({ received: 2, inserted: 2, duplicates: 0, quarantined: 0 });
    expect(b).toEqual({ received: 2, inserted: 1, duplicates: 1, quarantined: 0 });
    expect(repo.calls).toEqual(['exists', 'quarantine', 'firstSeen', 'insert', 'apply:seed-ian', 'apply:strict', 'applied', 'changed']);
    expect(repo.inserted).toHaveLength(1);
    expect(repo.inserted[0]!.partitions).toEqual([0, 1]);
    expect(repo.inserted[0]!.ids).toEqual(['f.csv:1', 'f.csv:2', 'f.csv:3']);
    expect(repo.probed).toEqual([['f.csv:1', 'f.csv:2', 'f.csv:3']]); // the round's ids, each once
  });

  it('stores a batch that arrives while a round is written in the next round, after that round is complete', async () => {
    const { repo, processor } = setup();
    let open!: () => void;
    repo.gate = new Promise((resolve) => (open = resolve));
    const first = processor.process(batch([event(1), event(2)], 0));
    await expectEventually(() => expect(repo.calls).toContain('insert'));
    let secondDone = false;
    const second = processor.process(batch([event(2), event(3)], 1)).then((o) => ((secondDone = true), o));
    await new Promise((resolve) => setImmediate(resolve));
    expect(repo.calls.filter((c) => c === 'exists')).toHaveLength(1); // the second waits for the round in progress
    repo.gate = undefined;
    open();
    expect(await first).toEqual({ received: 2, inserted: 2, duplicates: 0, quarantined: 0 });
    expect(await second).toEqual({ received: 2, inserted: 1, duplicates: 1, quarantined: 0 });
    expect(secondDone).toBe(true);
    const firstChanged = repo.calls.indexOf('changed');
    expect(repo.calls.slice(firstChanged + 1)).toEqual(['exists', 'quarantine', 'firstSeen', 'insert', 'apply:seed-ian', 'apply:strict', 'applied', 'changed']);
    expect(repo.inserted.map((i) => i.ids)).toEqual([['f.csv:1', 'f.csv:2'], ['f.csv:3']]);
  });

  it('fails every batch of a failed round (each is delivered again) and keeps storing after it', async () => {
    const { repo, processor } = setup();
    const failing = repo.insertLines.bind(repo);
    repo.insertLines = async () => {
      throw new Error('disk full');
    };
    const results = await Promise.allSettled([processor.process(batch([event(1)], 0)), processor.process(batch([event(2)], 1))]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    repo.insertLines = failing;
    expect((await processor.process(batch([event(1)]))).inserted).toBe(1);
  });

  it('re-applies the states of a round that failed after its insert before the next round (its redelivery inserts nothing)', async () => {
    const { repo, processor } = setup();
    const apply = repo.applyBatch.bind(repo);
    repo.applyBatch = async () => {
      throw new Error('states: disk full');
    };
    await expect(processor.process(batch([event(1), event(2)]))).rejects.toThrow('disk full');
    const [failed] = repo.inserted;
    repo.applyBatch = apply;
    const again = await processor.process(batch([event(1), event(2)]));
    expect(again).toEqual({ received: 2, inserted: 0, duplicates: 2, quarantined: 0 });
    expect(repo.applied).toEqual([failed!.batchSeq, failed!.batchSeq]); // both policies, once
    expect(await repo.unappliedBatches()).toEqual([]);
    await processor.process(batch([event(3)]));
    expect(repo.applied).toHaveLength(4); // no second recovery
  });

  it('gives every stored batch a new, increasing batch_seq', async () => {
    const { repo, processor } = setup();
    await processor.process(batch([event(1)]));
    await processor.process(batch([event(2)]));
    const [a, b] = repo.inserted.map((i) => BigInt(i.batchSeq));
    expect(b).toBeGreaterThan(a);
  });
});
