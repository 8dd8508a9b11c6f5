import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { expectEventually } from '@insiders/testing';

const REPO_ROOT = resolve(__dirname, '../..');

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

export interface RunningSystem {
  baseUrl: string;
  child: ChildProcess;
  output: () => string;
  stop: () => Promise<void>;
}

/**
 * Starts the embedded default (`apps/standalone/src/main.ts`) as its own process — exactly what `npm start` runs —
 * and waits until it answers /health/ready. The process owns its chDB data directory.
 */
export async function startSystem(env: Record<string, string>, name = 'system'): Promise<RunningSystem> {
  const port = await freePort();
  let log = '';
  // the process's console is kept as a test artefact: the first place to look when an e2e test fails
  mkdirSync(resolve(REPO_ROOT, 'artifacts/e2e'), { recursive: true });
  const file = createWriteStream(resolve(REPO_ROOT, `artifacts/e2e/${name}-${port}.log`));
  const child = spawn(process.execPath, ['-r', '@swc-node/register', 'apps/standalone/src/main.ts'], {
    cwd: REPO_ROOT,
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'log', NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const collect = (d: Buffer) => {
    log += d.toString();
    file.write(d);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  child.once('exit', () => file.end());
  const baseUrl = `http://127.0.0.1:${port}`;
  await expectEventually(
    async () => {
      if (child.exitCode !== null) throw new Error(`system exited with ${child.exitCode}:\n${log.slice(-4000)}`);
      const res = await fetch(`${baseUrl}/health/ready`);
      expect(res.status).toBe(200);
    },
    { timeoutMs: 120_000, intervalMs: 500 },
  );
  return {
    baseUrl,
    child,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// Response bodies in e2e tests are whatever JSON the API answers; assertions check their shape.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function getJson<T = any>(url: string, init?: RequestInit): Promise<{ status: number; body: T }> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: body as T };
}
