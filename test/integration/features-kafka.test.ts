import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { encodeInvoiceLine, invoiceLineKey, type InvoiceLineEvent } from '@insiders/events';
import { deriveFeatures, policyPreset, SEED_FEATURES, type CustomerFeatures } from '@insiders/features-core';
import { KafkaBus, topicsFor } from '@insiders/messaging';
import { openClickHouse } from '@insiders/storage';
import { committedOffsets, createTopic, deleteTopics, expectEventually, kafkaBrokersFromEnv, tempChdbDir, topicEndOffsets, uniqueName } from '@insiders/testing';
import { FeaturesRepository } from '../../apps/features/src/features.repository';
import { FeaturesService } from '../../apps/features/src/features.service';
import { readGolden, readSeedEvents, REPO_ROOT } from '../../apps/features/src/testing/features.fixtures';

jest.setTimeout(1_800_000);
Logger.overrideLogger(['error', 'warn']);

// The whole seed file through the real broker into chDB, consumed by the standalone features app running as a child
// process (it owns the chDB directory while it runs) that is SIGKILLed several times mid-stream and restarted.
// The final raw row count and features must be exactly those of a clean run: 541,909 lines, each event id once,
// the golden seed-ian features, and incremental states equal to features recomputed from the raw lines.
describe('features: Kafka → chDB with hard kills', () => {
  const brokers = kafkaBrokersFromEnv();
  const prefix = uniqueName('feat');
  const topic = topicsFor(prefix).invoiceLines;
  const groupId = uniqueName('features');
  const database = 'features_kafka';
  const chdbPath = tempChdbDir('features-kafka');
  const port = 41_000 + Math.floor(Math.random() * 2_000);
  let events: InvoiceLineEvent[];
  let child: ChildProcess | undefined;
  let childOutput = '';

  function startConsumer(): ChildProcess {
    const proc = spawn(process.execPath, ['-r', '@swc-node/register', join(REPO_ROOT, 'apps/features/src/main.ts')], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        KAFKA_BROKERS: brokers.join(','),
        TOPIC_PREFIX: prefix,
        FEATURES_GROUP_ID: groupId,
        CHDB_PATH: chdbPath,
        CLICKHOUSE_DATABASE: database,
        CLICKHOUSE_URL: '',
        FEATURES_HTTP_PORT: String(port),
        FEATURES_KAFKA_SESSION_TIMEOUT_MS: '6000',
        FEATURES_KAFKA_MAX_BYTES_PER_PARTITION: String(4 * 1024 * 1024),
        LOG_LEVEL: 'log',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      childOutput = (childOutput + chunk.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    return proc;
  }

  async function consumed(): Promise<{ done: bigint; total: bigint }> {
    const [ends, committed] = await Promise.all([topicEndOffsets(topic, brokers), committedOffsets(groupId, topic, brokers)]);
    let done = 0n;
    let total = 0n;
    for (const [partition, end] of ends) {
      total += end;
      done += committed.get(partition) ?? 0n;
    }
    return { done, total };
  }

  function exited(proc: ChildProcess): Promise<void> {
    return new Promise((resolve) => (proc.exitCode !== null || proc.signalCode !== null ? resolve() : proc.once('exit', () => resolve())));
  }

  beforeAll(async () => {
    events = await readSeedEvents();
    await createTopic(topic, 3, brokers);
    const bus = new KafkaBus({ brokers, clientId: 'features-test-producer', logLevel: 'error' });
    try {
      for (let i = 0; i < events.length; i += 50_000) {
        await bus.publish(
          topic,
          events.slice(i, i + 50_000).map((e) => ({ key: invoiceLineKey(e), value: encodeInvoiceLine(e) })),
        );
      }
    } finally {
      await bus.close();
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited(child);
    }
    await deleteTopics([topic], brokers).catch(() => undefined);
    rmSync(chdbPath, { recursive: true, force: true });
  });

  it('stores every line once and computes the golden features despite three SIGKILLs mid-stream', async () => {
    const total = BigInt(events.length);
    expect((await consumed()).total).toBe(total);
    let killedAt: bigint[] = [];
    for (const fraction of [0.15, 0.4, 0.7]) {
      child = startConsumer();
      const threshold = (total * BigInt(Math.round(fraction * 100))) / 100n;
      await expectEventually(
        async () => {
          if (child!.exitCode !== null) throw new Error(`consumer exited early (${child!.exitCode}):\n${childOutput}`);
          const { done } = await consumed();
          if (done < threshold) throw new Error(`consumed ${done} < ${threshold}`);
          killedAt = [...killedAt, done];
        },
        { timeoutMs: 900_000, intervalMs: 200 },
      );
      child.kill('SIGKILL');
      await exited(child);
    }
    expect(killedAt.every((n) => n < total)).toBe(true);

    child = startConsumer();
    const metrics = await expectEventually(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
        expect(text).toContain('features_rows_total');
        return text;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    expect(metrics).toContain('features_batch_size_messages_bucket');
    await expectEventually(
      async () => {
        if (child!.exitCode !== null) throw new Error(`consumer exited (${child!.exitCode}):\n${childOutput}`);
        expect((await consumed()).done).toBe(total);
      },
      { timeoutMs: 900_000, intervalMs: 500 },
    );
    child.kill('SIGTERM');
    await exited(child);

    // The child is gone: this process may open its data directory now.
    const client: ClickHouseClient = await openClickHouse({ database, chdbPath });
    try {
      const repository = new FeaturesRepository(client);
      const service = new FeaturesService(repository, policyPreset('seed-ian'), []);
      expect(await repository.countLines()).toBe(events.length);
      const distinct = await client.query({ query: 'SELECT uniqExact(event_id) AS n FROM invoice_lines', format: 'JSONEachRow' });
      expect(Number((await distinct.json<{ n: string }>())[0].n)).toBe(events.length);
      expect(await repository.unappliedBatches()).toEqual([]);

      const features = await service.readFeatures();
      const golden = readGolden();
      expect(features).toHaveLength(golden.length);
      const ours = new Map(features.map((f) => [f.customerId, SEED_FEATURES.map((k) => (k === 'grossRevenue' ? Math.round(f[k] * 100) : f[k]))]));
      const mismatches = golden.filter(
        (g) => JSON.stringify(ours.get(g.customerId)) !== JSON.stringify([Math.round(g.grossRevenue * 100), g.recencyDays, g.products, g.frequency, g.returns]),
      );
      expect(mismatches.slice(0, 5)).toEqual([]);

      // Incremental states == every feature recomputed from the raw lines (no batch folded twice or lost).
      const fromRaw = (await repository.readAggregates(policyPreset('seed-ian'), { source: 'raw' })).map(deriveFeatures);
      const sort = (rows: CustomerFeatures[]) => [...rows].sort((a, b) => a.customerId.localeCompare(b.customerId));
      expect(sort(features)).toEqual(sort(fromRaw));
    } finally {
      await client.close();
    }
  });
});
