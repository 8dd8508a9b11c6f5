import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { ReplayRequest, ReplayTrigger, TriggerResult } from '@insiders/api-contracts';
import { INGEST_CONFIG, IngestConfig } from '../ingest.config';
import { InvoiceLinePublisher } from '../publisher/invoice-line.publisher';
import { replayFile, ReplayResult } from './replay-file';

export interface ReplayRun {
  id: string;
  file: string;
  limit?: number;
  requestedBy: string;
  startedAt: string;
  state: 'running' | 'done' | 'failed';
  result?: ReplayResult;
  error?: string;
}

/**
 * The ingest side of the API's `REPLAY_TRIGGER` port: replays a data file from INGEST_DATA_DIR (a bare file name;
 * `X.csv` also finds `X.csv.gz`) through the publisher in the background, one replay at a time.
 */
@Injectable()
export class ReplayTriggerService implements ReplayTrigger, OnModuleDestroy {
  private readonly logger = new Logger(ReplayTriggerService.name);
  private current?: { run: ReplayRun; done: Promise<void>; abort: AbortController };
  private last?: ReplayRun;

  constructor(
    private readonly publisher: InvoiceLinePublisher,
    @Inject(INGEST_CONFIG) private readonly config: Pick<IngestConfig, 'INGEST_DATA_DIR'>,
  ) {}

  async requestReplay(request: ReplayRequest): Promise<TriggerResult> {
    if (this.current) return { accepted: false, id: this.current.run.id, message: 'a replay is already running' };
    const name = request.file ?? 'Ecommerce.csv';
    if (name !== basename(name) || name.startsWith('.')) return { accepted: false, message: `file must be a bare file name in the data directory, got "${name}"` };
    const dir = resolve(this.config.INGEST_DATA_DIR);
    const path = [resolve(dir, name), resolve(dir, `${name}.gz`)].find((p) => existsSync(p));
    if (!path) return { accepted: false, message: `no file "${name}" (or "${name}.gz") in the data directory` };
    if (request.limit !== undefined && (!Number.isSafeInteger(request.limit) || request.limit < 0)) {
      return { accepted: false, message: `limit must be a non-negative integer, got ${request.limit}` };
    }
    const run: ReplayRun = { id: randomUUID(), file: basename(path), limit: request.limit, requestedBy: request.requestedBy, startedAt: new Date().toISOString(), state: 'running' };
    const abort = new AbortController();
    const done = replayFile(path, this.publisher, { limit: request.limit, signal: abort.signal }).then(
      (result) => {
        run.state = 'done';
        run.result = result;
        this.logger.log(`replay ${run.id} of ${run.file}: ${result.rows} lines = ${result.accepted} accepted + ${result.deadLettered} dead-lettered`);
      },
      (error: unknown) => {
        run.state = 'failed';
        run.error = error instanceof Error ? error.message : String(error);
        this.logger.error(`replay ${run.id} of ${run.file} failed: ${run.error}`);
      },
    ).finally(() => {
      this.last = run;
      this.current = undefined;
    });
    this.current = { run, done, abort };
    return { accepted: true, id: run.id, message: `replaying ${run.file}`, detail: { file: run.file, limit: request.limit ?? null } };
  }

  /** The running replay, else the last one. */
  status(): ReplayRun | undefined {
    return this.current?.run ?? this.last;
  }

  /** Resolves when the running replay (if any) has finished. */
  async idle(): Promise<void> {
    await this.current?.done;
  }

  async onModuleDestroy(): Promise<void> {
    this.current?.abort.abort();
    await this.idle();
  }
}
