import { Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { APP_INTERCEPTOR, Reflector } from '@nestjs/core';
import type { Environment } from '../../config/environment.js';
import { createApiKeyRateLimiter, type RateLimiter } from './api-key-rate-limiter.js';
import { RATE_LIMITER, RateLimitInterceptor } from './rate-limit.interceptor.js';

/**
 * Per-key rate limits with @nestjs/throttler, off unless RATE_LIMIT_REQUESTS is set: at most that many
 * requests per key in any RATE_LIMIT_WINDOW_MS. blockDuration 0 makes the library count a sliding window
 * of accepted requests (refused ones do not count) and put the wait until the oldest one leaves the window
 * in Retry-After. Counts live in this process's memory: with N replicas a key gets up to N times the limit.
 */
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
    { provide: APP_INTERCEPTOR, useClass: RateLimitInterceptor },
  ],
})
export class RateLimitModule {}
