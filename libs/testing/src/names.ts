import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A name no other test (or earlier run) uses: `<prefix><sep><time base36><sep><8 hex>`. Characters are
 * [a-z0-9] plus the separator, so with `_` it is also a plain SQL identifier; the default `-` suits Kafka
 * topics and consumer groups.
 */
export function uniqueName(prefix: string, separator: '-' | '_' | '.' = '-'): string {
  const clean = prefix.toLowerCase().replace(/[^a-z0-9._-]+/g, separator);
  return `${clean}${separator}${Date.now().toString(36)}${separator}${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh, empty directory for an embedded chDB data path (chDB allows one data directory per process, so
 * each test file takes its own). The OS temp dir is cleaned by the system; remove it yourself if large.
 */
export function tempChdbDir(prefix = 'insiders-chdb'): string {
  return mkdtempSync(join(tmpdir(), `${prefix}-`));
}
