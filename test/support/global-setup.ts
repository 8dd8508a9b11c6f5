import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Integration and e2e tests need a real Kafka broker. KAFKA_BROKERS set in the environment points the tests at
// an existing one; otherwise scripts/kafka.sh runs a dedicated test broker (its own port and a state dir in the
// OS temp dir, so a development broker on 9092 is untouched). The broker is shared through leases: several
// test runs on one machine use the same test broker, and the last one to finish stops it.
// process.env changes made here reach the test workers (they are forked after global setup).

const REPO_ROOT = resolve(__dirname, '../..');

export function testBrokerEnv(): NodeJS.ProcessEnv {
  const port = process.env.INSIDERS_TEST_KAFKA_PORT ?? '39092';
  return {
    ...process.env,
    KAFKA_PORT: port,
    KAFKA_CONTROLLER_PORT: String(Number(port) + 1),
    KAFKA_STATE_DIR: process.env.INSIDERS_TEST_KAFKA_STATE_DIR ?? join(tmpdir(), `insiders-test-kafka-${port}`),
    // every cold start of the test broker begins empty: test topics do not pile up across runs
    KAFKA_EPHEMERAL: '1',
  };
}

export function runKafkaScript(args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile('bash', [join(REPO_ROOT, 'scripts/kafka.sh'), ...args], { env: testBrokerEnv() }, (error, stdout) =>
      error ? reject(new Error(`scripts/kafka.sh ${args.join(' ')} failed: ${error.message}`)) : resolvePromise(stdout.trim()),
    );
    child.stderr?.pipe(process.stderr);
  });
}

export default async function globalSetup(): Promise<void> {
  if (process.env.KAFKA_BROKERS?.trim()) return;
  const output = await runKafkaScript(['acquire', String(process.pid)]);
  const bootstrap = output.split('\n').pop() ?? '';
  if (!/^[\w.-]+:\d+$/.test(bootstrap)) throw new Error(`scripts/kafka.sh printed no bootstrap address (got "${output}")`);
  process.env.KAFKA_BROKERS = bootstrap;
  process.env.INSIDERS_TEST_KAFKA_LEASE = String(process.pid);
}
