import { Module } from '@nestjs/common';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { ReportController } from './report.controller';
import { REPORT_OPTIONS, reportSettingsFrom } from './report.options';
import { ReportRepository } from './report.repository';
import { ReportService } from './report.service';

/**
 * GET /v1/report and /v1/report.md. Needs `API_CONFIG` (ApiCoreModule, global) and `CLICKHOUSE` (StorageModule).
 * Exports the repository and settings for DashboardModule.
 */
@Module({
  controllers: [ReportController],
  providers: [
    ReportRepository,
    ReportService,
    { provide: REPORT_OPTIONS, useFactory: (config: ApiConfig) => reportSettingsFrom(config), inject: [API_CONFIG] },
  ],
  exports: [ReportRepository, ReportService, REPORT_OPTIONS],
})
export class ReportModule {}
