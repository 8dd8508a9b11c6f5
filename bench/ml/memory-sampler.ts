/**
 * Peak resident memory per stage: a worker thread samples process.memoryUsage.rss() (process-wide, so worker
 * threads' memory is included) every 20 ms while the main thread is busy in synchronous computation, and keeps
 * the peak of the stage the main thread last announced.
 */
import { Worker } from 'node:worker_threads';

const SAMPLER = `
const { workerData } = require('node:worker_threads');
const state = new Int32Array(workerData.state);
const peaks = new Float64Array(workerData.peaks);
for (;;) {
  const rss = process.memoryUsage.rss();
  const s = Atomics.load(state, 0);
  if (rss > peaks[s]) peaks[s] = rss;
  if (Atomics.load(state, 1) !== 0) break;
  Atomics.wait(state, 1, 0, 20);
}
`;

export class MemorySampler {
  private readonly state = new Int32Array(new SharedArrayBuffer(8));
  private readonly peaks: Float64Array;
  private readonly worker: Worker;
  private readonly stages: string[];

  constructor(stages: readonly string[]) {
    this.stages = [...stages];
    this.peaks = new Float64Array(new SharedArrayBuffer(8 * this.stages.length));
    this.worker = new Worker(SAMPLER, { eval: true, workerData: { state: this.state.buffer, peaks: this.peaks.buffer }, execArgv: [] });
  }

  stage(name: string): void {
    const i = this.stages.indexOf(name);
    if (i >= 0) Atomics.store(this.state, 0, i);
  }

  /** Stops sampling; peak RSS in MB per stage and overall. */
  async stop(): Promise<{ perStage: Record<string, number>; peak: number }> {
    Atomics.store(this.state, 1, 1);
    Atomics.notify(this.state, 1);
    await new Promise((r) => this.worker.once('exit', r));
    const perStage: Record<string, number> = {};
    this.stages.forEach((s, i) => {
      if (this.peaks[i]! > 0) perStage[s] = Math.round(this.peaks[i]! / 1048576);
    });
    return { perStage, peak: Math.round(Math.max(...this.peaks) / 1048576) };
  }
}
