import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { Reflector } from '@nestjs/core';
import type { Environment } from '../../config/environment.js';
import { createApiKeyRateLimiter, type RateLimiter } from './api-key-rate-limiter.js';

/** The per-key limiter ApiKeyGuard counts every authenticated request against, or null when limits are off. */
export const RATE_LIMITER = Symbol('RATE_LIMITER');

/**
 * Per-key rate limits with @nestjs/throttler, off unless RATE_LIMIT_REQUESTS is set: at most that many
 * requests per key in any RATE_LIMIT_WINDOW_MS. blockDuration 0 makes the library count a sliding window
 * of accepted requests (refused ones do not count) and put the wait until the oldest one leaves the window
 * in Retry-After. Counts live in this process's memory: with N replicas a key gets up to N times the limit.
 *
 * ApiKeyGuard applies it, once the key is known and has the scope the route needs: a request refused with
 * 401 or 403 never counts, and a refused one (429) reaches no pipe or handler, so it claims no Idempotency-Key
 * and moves no money (safe to retry as it is). Global, because the guard is instantiated in every module
 * whose controllers use it. Not an interceptor: any interceptor makes Nest run every request of every route
 * through rxjs, which costs more CPU than the limiter itself, and with limits off nothing at all is left on
 * a request's path.
 */
@Global()
@Module({
  providers: [
    {
      provide: RATE_LIMITER,
      inject: [ConfigService, Reflector],
      useFactory: (config: ConfigService<Environment, true>, reflector: Reflector): Promise<RateLimiter> | null => {
        const limit = config.get('RATE_LIMIT_REQUESTS', { infer: true });
        const ttl = config.get('RATE_LIMIT_WINDOW_MS', { infer: true });
        return limit > 0 ? createApiKeyRateLimiter({ name: 'default', limit, ttl, blockDuration: 0 }, reflector) : null;
      },
    },
  ],
  exports: [RATE_LIMITER],
})
export class RateLimitModule {}
