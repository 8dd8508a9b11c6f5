import { Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces } from '@nestjs/swagger';
import { ApiController } from '../common/api-controller.decorator';
import { ReportService } from './report.service';
import type { Report } from './report.types';

@ApiController('v1', 'report')
export class ReportController {
  constructor(private readonly service: ReportService) {}

  @Get('report')
  @ApiOperation({
    summary: 'The business report, computed live',
    description:
      'Who is an Insider and how many; their profile; their revenue share; conditions to enter and leave; tests that they differ from the rest; ' +
      'the Insiders revenue forecast with its validation on held-out months; ML segments vs the RFM baseline.',
  })
  @ApiOkResponse({ description: 'The report (see docs/report.md for every field).' })
  report(): Promise<Report> {
    return this.service.report();
  }

  @Get('report.html')
  @Header('Content-Type', 'text/html; charset=utf-8')
  @ApiProduces('text/html')
  @ApiOperation({ summary: 'The business report as a web page (the Markdown document rendered)' })
  html(): Promise<string> {
    return this.service.html();
  }

  @Get('report.md')
  @Header('Content-Type', 'text/markdown; charset=utf-8')
  @ApiProduces('text/markdown')
  @ApiOperation({ summary: 'The business report as a Markdown document' })
  markdown(): Promise<string> {
    return this.service.markdown();
  }
}
