import { randomUUID } from 'node:crypto';
import { Catch, HttpException, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { RateLimited } from './http-errors';
import { issuesOf, ValidationFailed } from './validation';

/**
 * The one exception filter: HTTP errors keep their status and body; zod errors become 400 naming the field;
 * anything else is a 500 logged with an `errorId` that the response returns (no internals leak to the client).
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    if (reply.sent) return;
    if (exception instanceof z.ZodError) exception = new ValidationFailed(issuesOf(exception));
    if (exception instanceof HttpException) {
      if (exception instanceof RateLimited) void reply.header('Retry-After', String(exception.retryAfterSeconds));
      const body = exception.getResponse();
      const status = exception.getStatus();
      void reply
        .status(status)
        .send(typeof body === 'string' ? { statusCode: status, message: body } : body);
      return;
    }
    const fastifyStatus = (exception as { statusCode?: number }).statusCode;
    if (typeof fastifyStatus === 'number' && fastifyStatus >= 400 && fastifyStatus < 500) {
      // Fastify's own client errors (malformed JSON body, body too large, unsupported media type).
      void reply.status(fastifyStatus).send({ statusCode: fastifyStatus, message: (exception as Error).message });
      return;
    }
    const errorId = randomUUID();
    this.logger.error(
      `errorId=${errorId} ${request.method} ${request.url}: ${(exception as Error)?.stack ?? String(exception)}`,
    );
    void reply.status(500).send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error', errorId });
  }
}
