import { execFile, execFileSync, spawn } from 'node:child_process';

/** kcat (librdkafka's command-line client): an independent Kafka client for interop tests. */
export function kcatAvailable(): boolean {
  try {
    execFileSync('kcat', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Throws a helpful error when kcat is missing (tests must fail, not skip). */
export function requireKcat(): void {
  if (!kcatAvailable()) throw new Error('kcat not found: install it with `apt-get install -y kcat` (scripts/system-deps.sh)');
}

const KEY_DELIMITER = '\u001f';
const MESSAGE_DELIMITER = '\u001e';

export interface KcatMessage {
  key: string | null;
  value: string;
}

/**
 * Produces messages with `kcat -P` (acks=all). Keys and values may contain newlines; they must not contain
 * the ASCII unit/record separators used as delimiters. A null key is sent as a NULL key. `config` passes
 * librdkafka properties (-X), e.g. `{ partitioner: 'murmur2_random' }` to partition keys like the Java client.
 */
export async function kcatProduce(
  brokers: string[],
  topic: string,
  messages: KcatMessage[],
  {
    headers = {},
    partition,
    config = {},
  }: { headers?: Record<string, string>; partition?: number; config?: Record<string, string> } = {},
): Promise<void> {
  const args = ['-P', '-b', brokers.join(','), '-t', topic, '-K', KEY_DELIMITER, '-D', MESSAGE_DELIMITER, '-Z', '-X', 'acks=all', '-q'];
  if (partition !== undefined) args.push('-p', String(partition));
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  for (const [k, v] of Object.entries(config)) args.push('-X', `${k}=${v}`);
  const input = messages.map((m) => `${m.key ?? ''}${KEY_DELIMITER}${m.value}`).join(MESSAGE_DELIMITER);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('kcat', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && !/fail|error/i.test(stderr)) resolve();
      else reject(new Error(`kcat -P exited with ${code}: ${stderr.trim()}`));
    });
    child.stdin.end(input);
  });
}

export interface KcatConsumedMessage {
  partition: number;
  offset: number;
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
  timestamp: number;
}

/** Reads a topic from the beginning to its current end with `kcat -C -e -J` (no consumer group). */
export async function kcatConsumeAll(
  brokers: string[],
  topic: string,
  { timeoutMs = 60_000 }: { timeoutMs?: number } = {},
): Promise<KcatConsumedMessage[]> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(
      'kcat',
      ['-C', '-b', brokers.join(','), '-t', topic, '-o', 'beginning', '-e', '-J', '-q'],
      { timeout: timeoutMs, maxBuffer: 1024 * 1024 * 1024 },
      (error, out, err) => (error ? reject(new Error(`kcat -C failed: ${error.message} ${err}`)) : resolve(out)),
    );
  });
  return stdout
    .split('\n')
    .filter((line) => line.trim().length > 0)
    .map((line) => {
      const j = JSON.parse(line) as {
        partition: number;
        offset: number;
        key: string | null;
        payload: string | null;
        headers?: string[];
        ts: number;
      };
      const headers: Record<string, string> = {};
      for (let i = 0; i + 1 < (j.headers?.length ?? 0); i += 2) headers[j.headers![i]!] = j.headers![i + 1]!;
      return { partition: j.partition, offset: j.offset, key: j.key, value: j.payload, headers, timestamp: j.ts };
    });
}
