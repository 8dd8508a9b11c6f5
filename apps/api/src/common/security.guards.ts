import { createHash } from 'node:crypto';
import {
  ForbiddenException,
  Inject,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { API_CONFIG } from '../api.tokens';
import type { ApiConfig } from '../api.config';
import { ACCESS_KEY, type AccessLevel } from './access.decorator';
import { ApiKeyRing, type KeyRole } from './api-keys';
import { RateLimited } from './http-errors';
import { TokenBuckets } from './token-bucket';
import { ApiMetrics } from '../observability/api.metrics';

export const API_KEY_HEADER = 'x-api-key';

/** What the guards learned about the caller, attached to the request for services (e.g. `requestedBy`). */
export interface Caller {
  role: KeyRole | 'anonymous';
  /** Short, non-reversible fingerprint of the key (first 12 hex of SHA-256), or `ip:<address>`. */
  id: string;
}

export function callerOf(request: FastifyRequest): Caller {
  return (request as FastifyRequest & { caller?: Caller }).caller ?? { role: 'anonymous', id: `ip:${request.ip}` };
}

function accessOf(reflector: Reflector, context: ExecutionContext): AccessLevel {
  return reflector.getAllAndOverride<AccessLevel>(ACCESS_KEY, [context.getHandler(), context.getClass()]) ?? 'read';
}

function presentedKey(request: FastifyRequest): string | undefined {
  const raw = request.headers[API_KEY_HEADER];
  const key = Array.isArray(raw) ? raw[0] : raw;
  return key && key.length > 0 ? key : undefined;
}

/** Builds the key ring from configuration (plain keys hashed here, at boot; only digests are kept). */
export function keyRingFrom(config: ApiConfig): ApiKeyRing {
  return new ApiKeyRing({
    adminKeys: config.API_KEYS,
    adminHashes: config.API_KEY_HASHES,
    readKeys: config.API_READ_KEYS,
    readHashes: config.API_READ_KEY_HASHES,
  });
}

/**
 * Authentication and authorisation by `X-API-Key`: admin endpoints need an admin key (none: 401, read key: 403);
 * read endpoints need a read or admin key when API_READ_REQUIRES_KEY, and reject an unknown key in any case.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly ring: ApiKeyRing,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const access = accessOf(this.reflector, context);
    if (access === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = presentedKey(request);
    const role = key === undefined ? null : this.ring.roleOf(key);
    if (key !== undefined && role === null) throw new UnauthorizedException('invalid API key (X-API-Key)');
    if (role !== null) {
      const id = createHash('sha256').update(key!).digest('hex').slice(0, 12);
      (request as FastifyRequest & { caller?: Caller }).caller = { role, id };
    }
    if (access === 'admin') {
      if (role === null) throw new UnauthorizedException('an admin API key is required (X-API-Key)');
      if (role !== 'admin') throw new ForbiddenException('this API key may only read');
      return true;
    }
    if (this.config.API_READ_REQUIRES_KEY && role === null) {
      throw new UnauthorizedException('an API key is required (X-API-Key)');
    }
    return true;
  }
}

/** Token-bucket rate limit per valid API key (by fingerprint) or else per client IP. */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly buckets: TokenBuckets;

  constructor(
    private readonly reflector: Reflector,
    private readonly ring: ApiKeyRing,
    private readonly metrics: ApiMetrics,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.buckets = new TokenBuckets(config.RATE_LIMIT_PER_SECOND, config.RATE_LIMIT_BURST);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http' || !this.buckets.enabled) return true;
    if (accessOf(this.reflector, context) === 'public') return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const key = presentedKey(request);
    // Only a valid key gets a bucket of its own: guessing keys stays limited per IP.
    const client = key && this.ring.roleOf(key) ? `key:${createHash('sha256').update(key).digest('hex').slice(0, 16)}` : `ip:${request.ip}`;
    const wait = this.buckets.take(client);
    if (wait > 0) {
      this.metrics.rateLimited.inc();
      throw new RateLimited(wait);
    }
    return true;
  }
}
