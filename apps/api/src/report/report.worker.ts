import { parentPort, workerData } from 'node:worker_threads';
import { buildReport, type ReportInput, type ReportOptions } from './report.builder';

/** Worker-thread entry: builds the report from its inputs (see buildReportInWorker) and posts it back. */
const { input, options } = workerData as { input: ReportInput; options: ReportOptions };
try {
  parentPort!.postMessage({ ok: true, report: buildReport(input, options) });
} catch (e) {
  parentPort!.postMessage({ ok: false, name: e instanceof Error ? e.name : 'Error', message: e instanceof Error ? e.message : String(e) });
}
