import { Inject, Injectable } from '@nestjs/common';
import { buildReport } from './report.builder';
import { buildReportInWorker } from './report.runner';
import { reportPage } from './report.html';
import { renderReportMarkdown } from './report.markdown';
import { REPORT_OPTIONS, type ReportSettings } from './report.options';
import { ReportRepository } from './report.repository';
import type { Report } from './report.types';

/**
 * Computes the business report live from the tables. The computation (a full customer scan, bootstrap, forecast
 * backtests) takes one to two seconds on the seed data set, so a computed report is reused: always for
 * `minRefreshMs` (incremental assignment changes memberships all the time), and while the active model and the
 * memberships are unchanged for at most `cacheTtlMs`. A new active model is never served from the cache.
 */
@Injectable()
export class ReportService {
  private cached: { key: string; at: number; report: Promise<Report> } | null = null;

  constructor(
    private readonly repository: ReportRepository,
    @Inject(REPORT_OPTIONS) private readonly settings: ReportSettings,
  ) {}

  async report(): Promise<Report> {
    const [model, stamp] = await Promise.all([this.repository.activeModel(), this.repository.membershipsStamp()]);
    const key = `${model?.version ?? 'none'}|${stamp}`;
    const now = Date.now();
    const c = this.cached;
    if (c) {
      const age = now - c.at;
      const sameModel = c.key.split('|')[0] === key.split('|')[0];
      if ((c.key === key && age < this.settings.cacheTtlMs) || (sameModel && age < this.settings.minRefreshMs)) return c.report;
    }
    const report = this.compute(model);
    this.cached = { key, at: now, report };
    report.catch(() => {
      if (this.cached?.report === report) this.cached = null;
    });
    return report;
  }

  async markdown(): Promise<string> {
    return renderReportMarkdown(await this.report());
  }

  async html(): Promise<string> {
    return reportPage(await this.markdown());
  }

  private async compute(model: Awaited<ReturnType<ReportRepository['activeModel']>>): Promise<Report> {
    const policy = this.settings.policy;
    const [segments, memberships, features, rfm, monthly, transitions] = await Promise.all([
      model ? this.repository.segments(model.version) : Promise.resolve([]),
      this.repository.memberships(),
      this.repository.customerFeatures(policy),
      this.repository.rfmSegments(),
      this.repository.monthlyRevenue(policy),
      this.repository.transitionTotals(),
    ]);
    const input = { now: new Date(), policyName: policy.name, model, segments, memberships, features, rfm, monthly, transitions };
    const options = {
      horizon: this.settings.horizon,
      holdout: this.settings.holdout,
      level: this.settings.level,
      confidence: this.settings.confidence,
      resamples: this.settings.resamples,
      seed: this.settings.seed,
      forecastMethod: this.settings.forecastMethod,
    };
    // small inputs are cheaper in-thread than a worker's start-up
    return memberships.length + features.length > this.settings.workerThreshold ? buildReportInWorker(input, options) : buildReport(input, options);
  }
}
