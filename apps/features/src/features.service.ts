import { Logger } from '@nestjs/common';
import {
  deriveFeatures,
  policyPreset,
  toDay,
  type CleaningPolicy,
  type CustomerFeatures,
  type ReadFeaturesQuery,
} from '@insiders/features-core';
import type { FeatureChangeListener } from './changes/feature-changes.notifier';
import type { FeaturesRepository } from './features.repository';
import { SyntheticNumbering } from './synthetic-numbering';

export interface ChangedCustomers {
  /** Customer ids (synthetic ids under the policy for keys without one) whose features changed after `since`. */
  customerIds: string[];
  /** Pass back as `since` next time: the latest change time returned (or `since` when nothing changed). */
  watermark: string;
}

/**
 * The features query API other apps use (clusterer, api). Reads merge the stored per-customer-day states of a
 * maintained policy; any other preset is computed from the raw lines on the fly (same SQL, slower).
 */
export class FeaturesService {
  private readonly logger = new Logger('FeaturesService');
  private readonly maintained: Map<string, CleaningPolicy>;
  private readonly numbering: SyntheticNumbering;

  constructor(
    private readonly repository: FeaturesRepository,
    readonly defaultPolicy: CleaningPolicy,
    maintainedPolicies: readonly CleaningPolicy[],
  ) {
    this.maintained = new Map([defaultPolicy, ...maintainedPolicies].map((p) => [p.name, p]));
    this.numbering = new SyntheticNumbering(repository);
  }

  /** Policies kept current by the consumer. */
  get maintainedPolicies(): CleaningPolicy[] {
    return [...this.maintained.values()];
  }

  /** Rebuilds from raw the states of every maintained policy that has never been fully built (new or changed rules). */
  async ensureStates(): Promise<void> {
    for (const policy of this.maintained.values()) {
      const built = await this.repository.policyBuilds(policy);
      if (built.days && built.customers) continue;
      const started = Date.now();
      const which = built.days ? 'customers' : 'all';
      await this.repository.rebuildStates(policy, which);
      this.logger.log(`built ${which === 'all' ? 'states' : 'running customer states'} of policy ${policy.name} from raw lines in ${Date.now() - started} ms`);
    }
  }

  /** Invoice lines stored (each event id once) and quarantined: how far the consumer has come. */
  async storedCounts(): Promise<{ lines: number; quarantined: number }> {
    const [lines, quarantined] = await Promise.all([this.repository.countLines(), this.repository.countQuarantined()]);
    return { lines, quarantined };
  }

  /**
   * Features of all (or some) customers. "Now" for a maintained policy reads the running per-customer states (one
   * row per customer); "as of" a day merges the per-day states up to it; other policies compute from raw lines.
   */
  async readFeatures(query: ReadFeaturesQuery = {}): Promise<CustomerFeatures[]> {
    const policy = this.policy(query.policy);
    if (query.asOf === undefined && this.maintained.has(policy.name)) return this.readCurrent(policy, query.customerIds);
    const aggregates = await this.repository.readAggregates(policy, {
      asOfDay: query.asOf === undefined ? undefined : toDay(query.asOf),
      customerIds: query.customerIds,
      source: this.maintained.has(policy.name) ? 'states' : 'raw',
    });
    return aggregates.map(deriveFeatures);
  }

  /**
   * Calls `listener` whenever this process committed changed customers to the feed (a hint to read `changedSince`
   * now rather than at the next poll; other processes' changes are only seen by polling). Returns the unsubscribe.
   */
  onFeaturesChanged(listener: FeatureChangeListener): () => void {
    return this.repository.changes.subscribe(listener);
  }

  /**
   * Current features from the running per-customer states. Anonymous keys get their synthetic ids from the
   * in-memory numbering (refreshed when the store's version of it changed); requested synthetic ids are turned
   * into their keys first, so a read of a few customers is a primary-key lookup of a few rows.
   */
  private async readCurrent(policy: CleaningPolicy, customerIds?: readonly string[]): Promise<CustomerFeatures[]> {
    if (customerIds && customerIds.length === 0) return [];
    const synthesize = policy.missingCustomers === 'synthesize';
    // A read of known customers only (no id of a synthetic id's form) needs no numbering: it returns no anonymous
    // key under an id that was asked for.
    if (synthesize && (!customerIds || customerIds.some((id) => SyntheticNumbering.mayBeSynthetic(policy, id)))) await this.numbering.refresh();
    let keys: string[] | undefined;
    if (customerIds) {
      keys = [...customerIds];
      if (synthesize) {
        for (const id of customerIds) {
          const key = this.numbering.keyOf(policy, id);
          if (key !== undefined) keys.push(key);
        }
      }
    }
    const features: CustomerFeatures[] = [];
    const wanted = customerIds ? new Set(customerIds) : undefined;
    await this.repository.readCurrentAggregates(policy, keys, (a) => {
      if (a.synthetic) a.customerId = this.numbering.idOf(policy, a.customerId);
      if (!wanted || wanted.has(a.customerId)) features.push(deriveFeatures(a));
    });
    return features;
  }

  /**
   * Customers whose features changed after `since` (an ISO instant or a previous watermark). At-least-once: a
   * redelivered batch reports its customers again. Synthetic customers are reported under the policy's ids.
   */
  async changedSince(since: string | Date, policyName?: string): Promise<ChangedCustomers> {
    const sinceMs = typeof since === 'string' ? Date.parse(since.includes('T') || since.endsWith('Z') ? since : `${since.replace(' ', 'T')}Z`) : since.getTime();
    if (Number.isNaN(sinceMs)) throw new Error(`invalid "since": ${String(since)}`);
    const changed = await this.repository.changedSince(sinceMs);
    const watermark = changed.length ? `${changed[changed.length - 1].changedAt.replace(' ', 'T')}Z` : new Date(sinceMs).toISOString();
    const policy = this.policy(policyName);
    const known = changed.filter((c) => !c.customerKey.startsWith('invoice:')).map((c) => c.customerKey);
    const anonymous = changed.filter((c) => c.customerKey.startsWith('invoice:')).map((c) => c.customerKey);
    let synthetic: string[] = [];
    if (anonymous.length && policy.missingCustomers === 'synthesize') synthetic = await this.repository.syntheticIds(policy, anonymous);
    return { customerIds: [...known, ...synthetic], watermark };
  }

  private policy(name?: string): CleaningPolicy {
    if (name === undefined) return this.defaultPolicy;
    return this.maintained.get(name) ?? policyPreset(name);
  }
}
