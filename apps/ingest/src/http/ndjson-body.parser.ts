import { Inject, Injectable, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { INGEST_CONFIG, IngestConfig } from '../ingest.config';

interface FastifyLike {
  hasContentTypeParser(type: string): boolean;
  addContentTypeParser(
    type: string,
    options: { parseAs: 'string'; bodyLimit: number },
    parser: (request: unknown, body: string, done: (err: Error | null, body?: unknown) => void) => void,
  ): void;
}

/**
 * Teaches the HTTP server (Fastify) to read `application/x-ndjson` bodies as text, with the ingest body limit.
 * Runs when the module initialises, so it works the same in the standalone ingest process and in the embedded app.
 * (The JSON body limit is the server's `bodyLimit`: `main.ts` sets it to INGEST_MAX_BODY_BYTES.)
 */
@Injectable()
export class NdjsonBodyParser implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(INGEST_CONFIG) private readonly config: Pick<IngestConfig, 'INGEST_MAX_BODY_BYTES'>,
  ) {}

  onModuleInit(): void {
    const instance = this.adapterHost.httpAdapter?.getInstance?.() as Partial<FastifyLike> | undefined;
    if (!instance?.addContentTypeParser || !instance.hasContentTypeParser) return; // not Fastify (or no HTTP server)
    if (instance.hasContentTypeParser('application/x-ndjson')) return;
    instance.addContentTypeParser('application/x-ndjson', { parseAs: 'string', bodyLimit: this.config.INGEST_MAX_BODY_BYTES }, (_req, body, done) =>
      done(null, body),
    );
  }
}
