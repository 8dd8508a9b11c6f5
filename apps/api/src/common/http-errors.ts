import { HttpException, HttpStatus } from '@nestjs/common';

/** 429 with the number of seconds after which a token is available again (sent as Retry-After). */
export class RateLimited extends HttpException {
  constructor(readonly retryAfterSeconds: number) {
    super(
      { statusCode: 429, error: 'Too Many Requests', message: `rate limit exceeded, retry after ${retryAfterSeconds}s` },
      HttpStatus.TOO_MANY_REQUESTS,
    );
  }
}

/** 503 for a capability the composition root did not bind (refit/replay triggers, event bus). */
export class NotBound extends HttpException {
  constructor(what: string) {
    super(
      { statusCode: 503, error: 'Service Unavailable', message: `${what} is not available in this deployment` },
      HttpStatus.SERVICE_UNAVAILABLE,
    );
  }
}
