import { Inject, Injectable, Logger } from '@nestjs/common';
import { policyPreset } from '@insiders/features-core';
import { scoreRfm } from '@insiders/ml';
import { adjustedRandIndex, featureBaseline, parseInsidersRule, parseNamingRule } from '@insiders/segments';
import { chTime } from '@insiders/storage';
import { ClustererRepository, type ModelRow, type ModelTrigger, type SegmentRow, type StagedMembership } from '../clusterer.repository';
import { CLUSTERER_CONFIG } from '../clusterer.tokens';
import type { ClustererConfig } from '../clusterer.config';
import { buildSegmentation, type PreviousSegmentation } from '../domain/segmentation.builder';
import { prepareFeatures } from '../model/feature-matrix';
import { encodeInt32, type ModelBundle } from '../model/model-bundle';
import { ActiveModelCache } from '../model/active-model.cache';
import { fitSegmentation, type SegmentationFitOptions } from '../model/segmentation-model.adapter';
import { ApplyModelUseCase } from './apply-model.use-case';
import { MembershipWriteLock } from '../domain/membership-write.lock';
import { FeedCursor } from '../domain/feed-cursor';

export interface RefitCommand {
  trigger: ModelTrigger;
  note?: string;
}

export interface RefitResult {
  version: number;
  status: 'active' | 'rejected' | 'failed';
  reason?: string;
  k?: number;
  silhouette?: number;
  customers?: number;
  changes?: number;
  ariPrevious?: number | null;
  rfmAgreement?: number | null;
  insidersShare?: number;
  insidersRevenueShare?: number;
  timings?: Record<string, number>;
}

export class RefitInProgressError extends Error {
  constructor() {
    super('a refit is already running');
    this.name = 'RefitInProgressError';
  }
}

/**
 * One refit: registry row `fitting` → read every customer's features → fit in a worker thread → business segments
 * with stable ids, Insiders, RFM baseline → validate → artifact, segments and staged memberships → registry row
 * `active`, previous active → `retired` (in that order: a crash at any point before leaves the previous model
 * serving) → apply (events, history, memberships). A model that fails validation is recorded `rejected`; an error
 * records `failed`; in both cases the previous model keeps serving.
 */
@Injectable()
export class RefitUseCase {
  private readonly logger = new Logger(RefitUseCase.name);
  private running = false;

  constructor(
    @Inject(CLUSTERER_CONFIG) private readonly config: ClustererConfig,
    private readonly repository: ClustererRepository,
    private readonly cache: ActiveModelCache,
    private readonly apply: ApplyModelUseCase,
    private readonly lock: MembershipWriteLock,
    private readonly cursor: FeedCursor,
  ) {}

  get isRunning(): boolean {
    return this.running;
  }

  async execute(command: RefitCommand): Promise<RefitResult> {
    if (this.running) throw new RefitInProgressError();
    this.running = true;
    try {
      return await this.refit(command);
    } finally {
      this.running = false;
    }
  }

  private fitOptions(): SegmentationFitOptions {
    const c = this.config;
    return {
      seed: c.CLUSTERER_SEED,
      kMin: c.CLUSTERER_K_MIN,
      kMax: c.CLUSTERER_K_MAX,
      trees: c.CLUSTERER_TREES,
      minSamplesLeaf: c.CLUSTERER_MIN_SAMPLES_LEAF,
      embeddingDims: c.CLUSTERER_EMBEDDING_DIMS,
      neighbours: c.CLUSTERER_ASSIGN_NEIGHBOURS,
      maxFitRows: c.CLUSTERER_MAX_FIT_CUSTOMERS,
    };
  }

  private async refit(command: RefitCommand): Promise<RefitResult> {
    const c = this.config;
    const naming = parseNamingRule(c.CLUSTERER_NAMING_RULE);
    const insidersRule = parseInsidersRule(c.CLUSTERER_INSIDERS_RULE);
    const version = await this.repository.nextModelVersion();
    const options = this.fitOptions();
    let clock = Date.now();
    const stamp = (): string => chTime((clock = Math.max(clock + 1, Date.now())));
    const params = { ...options, engine: 'ml-segmentation/1', featureSet: c.CLUSTERER_FEATURES, policy: c.FEATURE_POLICY, naming, insidersRule, note: command.note ?? '' };
    const row: ModelRow = {
      version,
      status: 'fitting',
      created_at: chTime(clock),
      updated_at: chTime(clock),
      trigger: command.trigger,
      seed: c.CLUSTERER_SEED,
      params: JSON.stringify(params),
      data_cutoff: chTime(0),
      customers: 0,
      k: 0,
      silhouette: 0,
      silhouette_curve: '[]',
      sizes: '{}',
      timings: '{}',
      ari_previous: null,
      lineage: '{}',
      error: '',
      rfm_agreement: null,
      insiders: '',
    };
    await this.repository.writeModel(row);
    this.logger.log(`refit ${version} started (${command.trigger})`);
    const timings: Record<string, number> = {};
    let t = performance.now();
    const lap = (stage: string): void => {
      const now = performance.now();
      timings[stage] = Math.round(now - t);
      t = now;
    };
    try {
      const feedHead = await this.repository.feedHead();
      const policy = policyPreset(c.FEATURE_POLICY);
      const features = await this.repository.readFeatures(policy);
      lap('readFeatures');
      if (features.length < c.CLUSTERER_MIN_CUSTOMERS) {
        return await this.finish(row, stamp, 'rejected', `only ${features.length} customers (minimum ${c.CLUSTERER_MIN_CUSTOMERS})`, timings);
      }
      const prepared = prepareFeatures(features, c.CLUSTERER_FEATURES);
      const n = prepared.customerIds.length;
      lap('prepare');
      this.logger.log(`refit ${version}: fitting ${n} customers in a worker thread`);
      const fit = await fitSegmentation(prepared.matrix, prepared.target, options);
      lap('fit');
      for (const [stage, ms] of Object.entries(fit.timings)) timings[`fit.${stage}`] = ms;
      const { labels, confidence, map, fittedRows } = fit;

      const previous = await this.previousSegmentation();
      const built = buildSegmentation({ facts: prepared.facts, clusterLabels: labels, k: fit.k, previous, naming, insidersRule });
      const rfm = scoreRfm({
        recencyDays: prepared.facts.map((f) => f.recencyDays),
        frequency: prepared.facts.map((f) => f.invoices ?? f.frequency ?? 0),
        monetary: prepared.facts.map((f) => f.revenue),
      });
      const rfmIndex = new Map<string, number>();
      const rfmLabels = rfm.segment.map((s) => rfmIndex.get(s) ?? (rfmIndex.set(s, rfmIndex.size), rfmIndex.size - 1));
      const rfmAgreement = adjustedRandIndex(rfmLabels, built.segmentIds);
      lap('segments');

      const totalRevenue = prepared.facts.reduce((s, f) => s + f.revenue, 0);
      let insidersCount = 0;
      let insidersRevenue = 0;
      built.insiderFlags.forEach((flag, i) => {
        if (!flag) return;
        insidersCount++;
        insidersRevenue += prepared.facts[i]!.revenue;
      });
      const insidersSummary = {
        rule: insidersRule,
        segments: built.insiders.ids,
        segmentShare: built.insiders.share,
        oversized: built.insiders.oversized,
        candidates: built.insiders.candidates,
        customers: insidersCount,
        share: insidersCount / n,
        revenueShare: totalRevenue ? insidersRevenue / totalRevenue : 0,
      };
      const metrics: Partial<ModelRow> = {
        data_cutoff: chTime(`${prepared.cutoffDay}T00:00:00Z`),
        customers: n,
        k: fit.k,
        silhouette: fit.silhouette,
        silhouette_curve: JSON.stringify(fit.curve),
        sizes: JSON.stringify(Object.fromEntries(built.segments.map((s) => [s.id, s.profile.size]))),
        ari_previous: built.ariPrevious,
        lineage: JSON.stringify(built.lineage ?? {}),
        rfm_agreement: rfmAgreement,
        insiders: JSON.stringify(insidersSummary),
      };
      const problems: string[] = [];
      if (fit.k < 2) problems.push(`k = ${fit.k}`);
      if (!(fit.silhouette >= c.CLUSTERER_MIN_SILHOUETTE)) problems.push(`silhouette ${fit.silhouette} < ${c.CLUSTERER_MIN_SILHOUETTE}`);
      if (built.segments.length < 2) problems.push(`${built.segments.length} segment(s)`);
      if (built.insiders.ids.length === 0) problems.push('no segment qualifies as Insiders');
      if (problems.length) return await this.finish({ ...row, ...metrics }, stamp, 'rejected', problems.join('; '), timings);

      const bundle: ModelBundle = {
        format: 'insiders-clusterer/1',
        version,
        featureSet: c.CLUSTERER_FEATURES,
        engine: fit.engine,
        model: fit.artifact,
        clusterToSegment: built.clusterToSegment,
        segments: built.segments.map((s) => ({ id: s.id, name: s.name, isInsiders: s.isInsiders, centroid: s.centroid, profile: s.profile })),
        population: built.population,
        insidersRule,
        trainingCustomerIds: Array.from(fittedRows, (i) => prepared.customerIds[i]!),
        trainingSegments: encodeInt32(Int32Array.from(fittedRows, (i) => built.segmentIds[i]!)),
        baselines: [...prepared.columns].map(([name, values]) => featureBaseline(name, values)),
        cutoffDay: prepared.cutoffDay,
      };
      const artifact = JSON.stringify(bundle);
      await this.repository.saveArtifact(version, artifact);
      await this.repository.writeSegments(built.segments.map((s): SegmentRow => ({
        model_version: version,
        segment_id: s.id,
        name: s.name,
        is_insiders: s.isInsiders ? 1 : 0,
        size: s.profile.size,
        share: s.profile.share,
        revenue_share: s.profile.revenueShare,
        mean_revenue: s.profile.meanRevenue,
        median_revenue: s.profile.medianRevenue,
        mean_recency: s.profile.meanRecency,
        mean_frequency: s.profile.meanFrequency,
        mean_returns: s.profile.meanReturns,
        mean_invoices: s.profile.meanInvoices,
        mean_items: s.profile.meanItems,
        mean_products: s.profile.meanProducts,
        mean_ticket: s.profile.meanTicket,
        origin: s.origin,
        parents: s.parents,
        clusters: s.clusters,
      })));
      const staged: StagedMembership[] = prepared.customerIds.map((customer_id, i) => ({
        model_version: version,
        customer_id,
        segment_id: built.segmentIds[i]!,
        is_insider: built.insiderFlags[i]!,
        confidence: confidence[i]!,
        map_x: map[i * 2]!,
        map_y: map[i * 2 + 1]!,
      }));
      await this.repository.stageMemberships(staged);
      lap('store');

      // Switch: the new model becomes active first, then the previous one is retired; then its memberships are
      // applied. Incremental passes wait meanwhile (membership write lock).
      const { active, applied } = await this.lock.run(async () => {
        const previousActive = await this.repository.activeModel();
        const active: ModelRow = { ...row, ...metrics, status: 'active', updated_at: stamp(), timings: JSON.stringify(timings) };
        await this.repository.writeModel(active);
        if (previousActive && previousActive.version !== version) await this.repository.writeModel({ ...previousActive, status: 'retired', updated_at: stamp() });
        this.cache.set(this.cache.fromArtifact(active, artifact));

        const now = chTime(Date.now());
        await this.repository.writeRfm(prepared.customerIds.map((customer_id, i) => ({
          customer_id,
          model_version: version,
          r: rfm.r[i]!,
          f: rfm.f[i]!,
          m: rfm.m[i]!,
          score: rfm.code[i]!,
          segment: rfm.segment[i]!,
          updated_at: now,
        })));
        const applied = await this.apply.execute(version, `${prepared.cutoffDay}T00:00:00.000Z`);
        // Customers that changed while this model was fitted are re-assigned by it: rewind the feed cursor.
        if (feedHead) await this.cursor.rewindTo(feedHead);
        return { active, applied };
      });
      lap('apply');
      this.logger.log(
        `model ${version} active: ${n} customers, k=${fit.k}, silhouette ${fit.silhouette.toFixed(3)}, ${built.segments.length} segments, ` +
          `Insiders ${(insidersSummary.share * 100).toFixed(1)}% of customers / ${(insidersSummary.revenueShare * 100).toFixed(1)}% of revenue, ${applied.changes} changes`,
      );
      await this.repository.writeModel({ ...active, updated_at: stamp(), timings: JSON.stringify(timings) });
      return {
        version,
        status: 'active',
        k: fit.k,
        silhouette: fit.silhouette,
        customers: n,
        changes: applied.changes,
        ariPrevious: built.ariPrevious,
        rfmAgreement,
        insidersShare: insidersSummary.share,
        insidersRevenueShare: insidersSummary.revenueShare,
        timings,
      };
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      this.logger.error(`refit ${version} failed: ${message}`);
      await this.finish(row, stamp, 'failed', message, timings).catch(() => undefined);
      return { version, status: 'failed', reason: message, timings };
    }
  }

  private async finish(row: ModelRow, stamp: () => string, status: 'rejected' | 'failed', reason: string, timings: Record<string, number>): Promise<RefitResult> {
    await this.repository.writeModel({ ...row, status, updated_at: stamp(), error: reason, timings: JSON.stringify(timings) });
    if (status === 'rejected') this.logger.warn(`model ${row.version} rejected: ${reason}`);
    return { version: row.version, status, reason, timings };
  }

  private async previousSegmentation(): Promise<PreviousSegmentation | null> {
    const active = await this.cache.get();
    const memberships = await this.repository.currentMemberships();
    const nextFreshId = await this.repository.nextSegmentId();
    if (!active) return memberships.size ? { version: 0, segments: [], memberships, nextFreshId } : null;
    return { version: active.row.version, segments: active.bundle.segments, memberships, nextFreshId };
  }
}

