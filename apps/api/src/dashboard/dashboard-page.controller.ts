import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, Get, Header, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../common/access.decorator';

/** The page's files: fixed names (no path from the request reaches the file system), read once at start-up. */
const ASSETS: Record<string, string> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'dashboard.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
};

export const DASHBOARD_PUBLIC_DIR = join(__dirname, 'public');

/**
 * Serves the built-in dashboard: `/dashboard` (HTML) and `/dashboard/assets/<file>`. Self-contained (no CDN, no
 * build step). Public: the page holds no data; the JSON it reads carries the API's access rules (the page sends
 * the API key a user typed, kept in the browser's localStorage, when read endpoints need one).
 */
@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardPageController {
  private readonly html = readFileSync(join(DASHBOARD_PUBLIC_DIR, 'index.html'), 'utf8');
  private readonly assets = new Map(Object.keys(ASSETS).map((name) => [name, readFileSync(join(DASHBOARD_PUBLIC_DIR, name), 'utf8')]));

  @Get()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-cache')
  page(): string {
    return this.html;
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() reply: FastifyReply): void {
    const body = Object.prototype.hasOwnProperty.call(ASSETS, file) ? this.assets.get(file) : undefined;
    if (body === undefined) throw new NotFoundException(`no dashboard asset ${file}`);
    void reply.header('Content-Type', ASSETS[file]!).header('Cache-Control', 'no-cache').send(body);
  }
}
