import { Module } from '@nestjs/common';
import { ReportModule } from '../report/report.module';
import { DashboardPageController } from './dashboard-page.controller';
import { RootController } from './root.controller';
import { DashboardController } from './dashboard.controller';
import { DashboardRepository } from './dashboard.repository';
import { DashboardService } from './dashboard.service';

/**
 * The built-in dashboard: the page at /dashboard and its JSON under /v1/dashboard. Needs the API's global core
 * (API_CONFIG, MembershipsRepository, guards) and CLICKHOUSE; reuses ReportModule's repository and settings.
 */
@Module({
  imports: [ReportModule],
  controllers: [RootController, DashboardPageController, DashboardController],
  providers: [DashboardRepository, DashboardService],
})
export class DashboardModule {}
