import { createHash, timingSafeEqual } from 'node:crypto';

export type KeyRole = 'admin' | 'read';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * The configured API keys, held only as SHA-256 digests. A presented key is hashed and compared with every
 * configured digest in constant time (no early exit), so timing reveals neither which key matched nor how much.
 */
export class ApiKeyRing {
  private readonly entries: { digest: Buffer; role: KeyRole }[];

  constructor(keys: { adminKeys?: string[]; adminHashes?: string[]; readKeys?: string[]; readHashes?: string[] }) {
    const digest = (hex: string, name: string) => {
      if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new Error(`${name}: expected 64 hex characters (SHA-256), got "${hex}"`);
      return Buffer.from(hex.toLowerCase(), 'hex');
    };
    this.entries = [
      ...(keys.adminKeys ?? []).map((k) => ({ digest: Buffer.from(sha256Hex(k), 'hex'), role: 'admin' as const })),
      ...(keys.adminHashes ?? []).map((h) => ({ digest: digest(h, 'API_KEY_HASHES'), role: 'admin' as const })),
      ...(keys.readKeys ?? []).map((k) => ({ digest: Buffer.from(sha256Hex(k), 'hex'), role: 'read' as const })),
      ...(keys.readHashes ?? []).map((h) => ({ digest: digest(h, 'API_READ_KEY_HASHES'), role: 'read' as const })),
    ];
  }

  get size(): number {
    return this.entries.length;
  }

  get hasAdminKey(): boolean {
    return this.entries.some((e) => e.role === 'admin');
  }

  /** The role of a presented key, or null when it matches no configured key. */
  roleOf(presented: string): KeyRole | null {
    const digest = Buffer.from(sha256Hex(presented), 'hex');
    let role: KeyRole | null = null;
    for (const entry of this.entries) {
      const match = timingSafeEqual(entry.digest, digest);
      if (match && role !== 'admin') role = entry.role;
    }
    return role;
  }
}
