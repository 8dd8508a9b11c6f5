import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { CustomerFeatures } from '@insiders/features-core';
import type { SegmentChangeEvent } from '@insiders/events';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { SegmentChangeStream } from '../live/segment-change.stream';
import { FeaturesRepository, type PopulationStats } from './features.repository';
import { MembershipsRepository, type Membership, type RfmScore } from './memberships.repository';

export interface CustomerEntry {
  features: CustomerFeatures | null;
  membership: Membership | null;
  rfm: RfmScore | null;
  /** The customer's latest recorded move (for "what moved them"). */
  lastMove: { fromSegment: number | null; toSegment: number | null } | null;
}

/** Facts explanations compare, from the features (same formulas as FeaturesRepository.population). */
const FACTS: Record<string, (f: CustomerFeatures) => number> = {
  revenue: (f) => f.grossRevenue,
  recencyDays: (f) => f.recencyDays,
  frequency: (f) => f.frequency,
  returns: (f) => f.returns,
  invoices: (f) => f.invoices,
  items: (f) => f.items,
  products: (f) => f.products,
  avgTicket: (f) => f.averageTicket,
};

export function populationOf(features: Iterable<CustomerFeatures>): PopulationStats {
  const sums: Record<string, { n: number; s: number; ss: number }> = {};
  for (const k of Object.keys(FACTS)) sums[k] = { n: 0, s: 0, ss: 0 };
  let customers = 0;
  for (const f of features) {
    customers++;
    for (const [k, get] of Object.entries(FACTS)) {
      const v = get(f);
      if (!Number.isFinite(v)) continue;
      const acc = sums[k]!;
      acc.n++;
      acc.s += v;
      acc.ss += v * v;
    }
  }
  const mean: Record<string, number> = {};
  const std: Record<string, number> = {};
  for (const [k, { n, s, ss }] of Object.entries(sums)) {
    mean[k] = n ? s / n : 0;
    std[k] = n ? Math.sqrt(Math.max(0, ss / n - (s / n) ** 2)) : 0;
  }
  return { customers, mean, std };
}

/**
 * An in-memory read model of every customer (features, membership, RFM, last move) so hot reads (customer lookup,
 * the Insiders list) are served without a query per request. Rebuilt from ClickHouse every READ_MODEL_REFRESH_MS
 * in the background (single flight); segment-change events update memberships at once in between. Until the
 * first build, or when there are more than READ_MODEL_MAX_CUSTOMERS customers, callers use the SQL path.
 * READ_MODEL_REFRESH_MS=0 disables it.
 */
@Injectable()
export class CustomerReadModel implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('CustomerReadModel');
  private entries: Map<string, CustomerEntry> | null = null;
  private population: PopulationStats | null = null;
  private loading: Promise<void> | null = null;
  private timer?: NodeJS.Timeout;
  private builtAt = 0;
  private builtFrom = '';
  /** Bumped by every rebuild: views derived from entries of an older generation are stale. */
  generation = 0;
  /** Customers moved by an event since the last rebuild (their derived views are stale). */
  readonly moved = new Set<string>();

  constructor(
    private readonly features: FeaturesRepository,
    private readonly memberships: MembershipsRepository,
    private readonly stream: SegmentChangeStream,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  get enabled(): boolean {
    return this.config.READ_MODEL_REFRESH_MS > 0;
  }

  /** Whether reads can be served from memory. */
  get ready(): boolean {
    return this.entries !== null;
  }

  get ageMs(): number {
    return this.entries ? Date.now() - this.builtAt : Infinity;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.stream.changes.subscribe((e) => this.apply(e));
    void this.refresh().catch(() => undefined);
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.config.READ_MODEL_REFRESH_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  get(customerId: string): CustomerEntry | undefined {
    return this.entries?.get(customerId);
  }

  /** Every entry (for the Insiders list); null when not ready. */
  all(): ReadonlyMap<string, CustomerEntry> | null {
    return this.entries;
  }

  populationStats(): PopulationStats | null {
    return this.population;
  }

  /** Rebuilds the model (joins an in-flight rebuild). */
  refresh(): Promise<void> {
    if (!this.loading) {
      this.loading = this.build()
        .catch((error: unknown) => {
          this.logger.warn(`read model rebuild failed, serving ${this.entries ? 'the previous one' : 'from SQL'}: ${(error as Error).message}`);
          throw error;
        })
        .finally(() => (this.loading = null));
    }
    return this.loading;
  }

  private async build(): Promise<void> {
    const started = Date.now();
    // Skip the rebuild when nothing it reads has changed (events keep memberships current in between).
    const fingerprint = (await Promise.all([this.features.fingerprint(), this.memberships.fingerprint()])).join('|');
    if (this.entries && fingerprint === this.builtFrom) return;
    const count = await this.memberships.count();
    if (count > this.config.READ_MODEL_MAX_CUSTOMERS) {
      if (this.entries) this.logger.warn(`${count} customers > READ_MODEL_MAX_CUSTOMERS: serving from SQL`);
      this.entries = null;
      return;
    }
    const [features, memberships, rfm, moves] = await Promise.all([
      this.features.all(),
      this.memberships.all(),
      this.memberships.allRfm(),
      this.memberships.lastMoves(),
    ]);
    const entries = new Map<string, CustomerEntry>();
    const entry = (id: string) => {
      let e = entries.get(id);
      if (!e) entries.set(id, (e = { features: null, membership: null, rfm: null, lastMove: null }));
      return e;
    };
    for (const f of features) entry(f.customerId).features = f;
    for (const m of memberships) entry(m.customerId).membership = m;
    for (const [id, r] of rfm) entry(id).rfm = r;
    for (const [id, mv] of moves) if (entries.has(id)) entries.get(id)!.lastMove = mv;
    // The tables are written before segment-change events are published: the rebuilt model is authoritative.
    this.population = populationOf(features);
    this.entries = entries;
    this.builtFrom = fingerprint;
    this.generation++;
    this.moved.clear();
    this.builtAt = Date.now();
    this.logger.debug(`read model: ${entries.size} customers in ${Date.now() - started} ms`);
  }

  /** A segment change moves the customer at once (the next rebuild confirms it from the tables). */
  private apply(e: SegmentChangeEvent): void {
    if (!this.entries) return;
    let entry = this.entries.get(e.customerId);
    if (!entry) this.entries.set(e.customerId, (entry = { features: null, membership: null, rfm: null, lastMove: null }));
    if (e.to === null) {
      entry.membership = null;
    } else {
      entry.membership = {
        customerId: e.customerId,
        segmentId: e.to.id,
        isInsider: e.toInsider,
        modelVersion: e.modelVersion,
        confidence: entry.membership?.confidence ?? 0,
        map: entry.membership?.map ?? { x: 0, y: 0 },
        reason: e.reason,
        updatedAt: e.emittedAt,
      };
    }
    entry.lastMove = { fromSegment: e.from?.id ?? null, toSegment: e.to?.id ?? null };
    this.moved.add(e.customerId);
    this.onMove?.(e.customerId);
  }

  /** Called after an event moved a customer (derived-view caches drop it). */
  onMove?: (customerId: string) => void;
}
