import 'reflect-metadata';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { NestFactory } from '@nestjs/core';
import type { INestApplicationContext } from '@nestjs/common';
import type { ClickHouseClient } from '@clickhouse/client';
import { DEFAULT_QUARANTINE_BOUNDS, policyPreset } from '@insiders/features-core';
import { BusModule, MemoryBus } from '@insiders/messaging';
import { MetricsRegistry } from '@insiders/observability';
import { openClickHouse, runMigrations, StorageModule } from '@insiders/storage';
import { FeaturesRepository } from '../../apps/features/src/features.repository';
import { InvoiceLinesProcessor } from '../../apps/features/src/invoice-lines.processor';
import { readSeedEvents, toBatches } from '../../apps/features/src/testing/features.fixtures';
import { ClustererModule, ClustererService, loadClustererConfig } from '../../apps/clusterer/src';
import { ClustererRepository } from '../../apps/clusterer/src/clusterer.repository';

// Fault test: the clusterer process is killed (SIGKILL) while a refit is fitting. The previous model must stay
// active and serving (memberships untouched); at the next start the interrupted refit is marked failed and the
// next refit succeeds.

const REPO_ROOT = resolve(__dirname, '../..');
const DATABASE = 'insiders';
const ENV = {
  CLICKHOUSE_DATABASE: DATABASE,
  CLUSTERER_SCHEDULER: 'false',
  CLUSTERER_TREES: '30',
  CLUSTERER_K_MIN: '4',
  CLUSTERER_K_MAX: '8',
  CLUSTERER_MIN_CUSTOMERS: '20',
  KAFKA_BROKERS: '',
  LOG_LEVEL: 'log',
};

describe('clusterer killed during a refit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'clusterer-fault-'));
  const config = loadClustererConfig({ ...ENV, CHDB_PATH: dir });
  let client: ClickHouseClient;

  async function open(): Promise<{ app: INestApplicationContext; repo: ClustererRepository }> {
    client = await openClickHouse({ database: DATABASE, chdbPath: dir });
    await runMigrations(client, DATABASE);
    const app = await NestFactory.createApplicationContext(
      { module: class FaultRoot {}, imports: [StorageModule.forClient(client), BusModule.forBus(new MemoryBus()), ClustererModule.register(config)] },
      { logger: ['error', 'warn'] },
    );
    return { app, repo: new ClustererRepository(client) };
  }

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the previous model active and recovers on the next start', async () => {
    // 1. features for a slice of the seed data set, and a first model
    {
      client = await openClickHouse({ database: DATABASE, chdbPath: dir });
      await runMigrations(client, DATABASE);
      const processor = new InvoiceLinesProcessor(new FeaturesRepository(client), [policyPreset(config.FEATURE_POLICY)], DEFAULT_QUARANTINE_BOUNDS, new MetricsRegistry({ service: 'test', defaultMetrics: false }));
      for (const batch of toBatches(await readSeedEvents(undefined, 40_000), 20_000)) await processor.process(batch);
      await client.close();
    }
    let { app, repo } = await open();
    const first = await app.get(ClustererService).runRefit('initial');
    expect(first).toMatchObject({ version: 1, status: 'active' });
    const before = await repo.currentMemberships();
    expect(before.size).toBeGreaterThan(20);
    await app.close();
    await client.close();

    // 2. a second refit in a child process, killed while its worker thread is fitting
    const child = spawn(process.execPath, ['-r', '@swc-node/register', join(REPO_ROOT, 'apps/clusterer/src/main.ts'), 'refit', 'fault-test'], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...ENV, CHDB_PATH: dir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<NodeJS.Signals | number | null>((done) => child.once('exit', (code, signal) => done(signal ?? code)));
    const output: string[] = [];
    child.stderr.on('data', (d: Buffer) => output.push(d.toString()));
    const killedWhileFitting = await new Promise<boolean>((done) => {
      const lines = createInterface({ input: child.stdout });
      lines.on('line', (line) => {
        output.push(line);
        if (/refit 2: fitting \d+ customers in a worker thread/.test(line)) {
          child.kill('SIGKILL');
          done(true);
        }
      });
      lines.once('close', () => done(false));
    });
    expect({ killedWhileFitting, output: killedWhileFitting ? [] : output }).toEqual({ killedWhileFitting: true, output: [] });
    expect(await exited).toBe('SIGKILL');

    // 3. the previous model is still the active one and memberships are untouched
    ({ app, repo } = await open()); // start-up runs the recovery
    const models = new Map((await repo.models()).map((m) => [m.version, m]));
    expect(models.get(1)?.status).toBe('active');
    expect(models.get(2)).toMatchObject({ status: 'failed', error: expect.stringContaining('interrupted') });
    expect((await repo.activeModel())?.version).toBe(1);
    const afterKill = await repo.currentMemberships();
    expect([...afterKill.values()].every((m) => m.modelVersion === 1)).toBe(true);
    expect(afterKill.size).toBe(before.size);

    // 4. the next refit succeeds and replaces it
    const third = await app.get(ClustererService).runRefit('manual');
    expect(third).toMatchObject({ version: 3, status: 'active' });
    const finalModels = new Map((await repo.models()).map((m) => [m.version, m.status]));
    expect(Object.fromEntries(finalModels)).toEqual({ 1: 'retired', 2: 'failed', 3: 'active' });
    const after = await repo.currentMemberships();
    expect([...after.values()].every((m) => m.modelVersion === 3)).toBe(true);
    await app.close();
    await client.close();
  }, 600_000);
});
