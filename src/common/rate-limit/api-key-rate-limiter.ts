import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ThrottlerLimitDetail, ThrottlerOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import { DomainError } from '../errors/domain-error.js';

/** Probes, the OpenAPI document and metrics are never limited, whatever they carry. */
const NEVER_LIMITED = /^\/(health|metrics)(\/|\?|$)|^\/docs/;

/** What ApiKeyGuard leaves on the request; absent on routes that need no key. */
interface MaybeAuthenticated extends Request {
  apiKeyName?: string;
  tenantId?: string;
}

/** The caller a request counts against: its API key (names are unique within a tenant), or none. */
export function rateLimitTracker(request: MaybeAuthenticated): string | undefined {
  if (request.apiKeyName === undefined) return undefined;
  return `${request.tenantId ?? ''}/${request.apiKeyName}`;
}

export interface RateLimiter {
  /** Counts the request against its key; throws 429 RATE_LIMITED (Retry-After set) when the key is over its limit. */
  check(context: ExecutionContext): Promise<void>;
  onApplicationShutdown(): void;
}

/**
 * The library's ThrottlerGuard and in-memory storage, keyed by API key instead of client IP, one budget per
 * key across every route, refusing with the contract's 429 RATE_LIMITED problem. The library sets Retry-After
 * (seconds) before it refuses, and X-RateLimit-Limit/-Remaining/-Reset on the requests it lets through.
 *
 * Loaded only when rate limiting is configured: @nestjs/throttler ships CommonJS only and requires
 * @nestjs/common, which is ESM only since Nest 12. Node ≥ 20.19 does that with require(esm); Jest's module
 * runtime cannot before Node 24.9, so tests that turn limits on run the built service (test/e2e/security.spec.ts).
 */
export async function createApiKeyRateLimiter(throttler: ThrottlerOptions, reflector: Reflector): Promise<RateLimiter> {
  const { ThrottlerGuard, ThrottlerStorageService } = await import('@nestjs/throttler');

  class ApiKeyThrottlerGuard extends ThrottlerGuard {
    protected override async shouldSkip(context: ExecutionContext): Promise<boolean> {
      const request = context.switchToHttp().getRequest<MaybeAuthenticated>();
      return rateLimitTracker(request) === undefined || NEVER_LIMITED.test(request.originalUrl ?? request.url);
    }

    protected override async getTracker(request: Record<string, unknown>): Promise<string> {
      return rateLimitTracker(request as unknown as MaybeAuthenticated)!;
    }

    /** One budget per key for the whole API (the library's default is one per route). */
    protected override generateKey(_context: ExecutionContext, tracker: string, throttlerName: string): string {
      return `${throttlerName}:${tracker}`;
    }

    protected override async throwThrottlingException(_context: ExecutionContext, detail: ThrottlerLimitDetail): Promise<void> {
      throw new DomainError(
        'RATE_LIMITED',
        `This API key may make ${detail.limit} requests per ${detail.ttl} ms; retry after ${detail.timeToBlockExpire} s.`,
      );
    }
  }

  const storage = new ThrottlerStorageService();
  const guard = new ApiKeyThrottlerGuard({ throttlers: [throttler] }, storage, reflector);
  await guard.onModuleInit();
  return {
    check: async (context) => {
      await guard.canActivate(context);
    },
    onApplicationShutdown: () => storage.onApplicationShutdown(),
  };
}
