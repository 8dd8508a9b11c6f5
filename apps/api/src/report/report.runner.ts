import { Worker } from 'node:worker_threads';
import type { ReportInput, ReportOptions } from './report.builder';
import type { Report } from './report.types';

const ENTRY = `${__dirname}/report.worker${__filename.endsWith('.ts') ? '.ts' : '.js'}`;

/**
 * Builds the report in a worker thread: the statistics (bootstrap, forecast backtests, threshold rules) take about a
 * second on the seed data set and must not stall the API's event loop. TypeScript entries run through
 * `@swc-node/register` inside the worker (as libs/ml's workers do); compiled `.js` entries start directly.
 */
export function buildReportInWorker(input: ReportInput, options: ReportOptions): Promise<Report> {
  const workerData = { input, options };
  const worker = ENTRY.endsWith('.ts')
    ? new Worker(`require(${JSON.stringify(require.resolve('@swc-node/register'))});\nrequire(${JSON.stringify(ENTRY)});\n`, { eval: true, workerData, execArgv: [] })
    : new Worker(ENTRY, { workerData, execArgv: [] });
  return new Promise<Report>((resolve, reject) => {
    let settled = false;
    worker.once('message', (m: { ok: true; report: Report } | { ok: false; name: string; message: string }) => {
      settled = true;
      if (m.ok) resolve(m.report);
      else reject(Object.assign(new Error(m.message), { name: m.name }));
      void worker.terminate();
    });
    worker.once('error', (e) => {
      if (!settled) {
        settled = true;
        reject(e);
      }
    });
    worker.once('exit', (code) => {
      if (!settled) {
        settled = true;
        reject(new Error(`report worker exited with code ${code} before answering`));
      }
    });
  });
}
