import type { CleaningPolicy } from '@insiders/features-core';

/** What the numbering needs from storage (FeaturesRepository implements it). */
export interface AnonymousKeysSource {
  /** Changes whenever the numbering may have changed (see anonymousNumberingVersionSql). */
  anonymousNumberingVersion(): Promise<string>;
  /** Anonymous keys (`invoice:<no>`) in synthetic-id order. */
  anonymousKeysInOrder(): Promise<string[]>;
}

/**
 * Synthetic customer ids of anonymous invoices (`invoice:<no>` keys): the n-th key by first appearance is
 * `policy.syntheticCustomerIdBase + n`. The order is kept in memory and reloaded only when the store's version
 * of it changed, so a read of a few customers costs one small version query instead of a window over every
 * anonymous invoice. Same numbering as `syntheticIdsSql` (features-core), which SQL-side readers use.
 */
export class SyntheticNumbering {
  private version?: string;
  private keys: string[] = [];
  private rank = new Map<string, number>();
  private loading?: Promise<void>;

  constructor(private readonly source: AnonymousKeysSource) {}

  /** Brings the in-memory order up to date with the store (one version query; a reload only after changes). */
  async refresh(): Promise<void> {
    // Concurrent readers share one refresh.
    this.loading ??= this.load().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The synthetic id of an anonymous key under the policy ('' when the key is unknown, as a SQL LEFT JOIN gives). */
  idOf(policy: CleaningPolicy, customerKey: string): string {
    const rank = this.rank.get(customerKey);
    return rank === undefined ? '' : String(Math.trunc(policy.syntheticCustomerIdBase) + rank);
  }

  /** Whether `id` has the form of a synthetic id under the policy (a canonical integer ≥ the base). */
  static mayBeSynthetic(policy: CleaningPolicy, id: string): boolean {
    return /^(0|[1-9]\d*)$/.test(id) && Number(id) >= Math.trunc(policy.syntheticCustomerIdBase);
  }

  /** The anonymous key numbered `id` under the policy, if any. */
  keyOf(policy: CleaningPolicy, id: string): string | undefined {
    if (!/^\d+$/.test(id)) return undefined;
    const rank = Number(id) - Math.trunc(policy.syntheticCustomerIdBase);
    const key = rank >= 0 ? this.keys[rank] : undefined;
    return key !== undefined && this.idOf(policy, key) === id ? key : undefined;
  }

  private async load(): Promise<void> {
    const version = await this.source.anonymousNumberingVersion();
    if (version === this.version) return;
    const keys = await this.source.anonymousKeysInOrder();
    this.keys = keys;
    this.rank = new Map(keys.map((k, i) => [k, i]));
    this.version = version;
  }
}
