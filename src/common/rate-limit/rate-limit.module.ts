import { Global, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import type { Environment } from '../../config/environment.js';
import { FixedWindowLimiter } from './fixed-window-limiter.js';
import { rateLimitSettings } from './rate-limit-settings.js';

/** The per-key limiter ApiKeyGuard counts every request with an accepted key against, or null when off (RATE_LIMIT_REQUESTS=0). */
export const API_KEY_RATE_LIMITER = Symbol('API_KEY_RATE_LIMITER');
/** The per-address counter of failed authentications (401s), or null when off (RATE_LIMIT_AUTH_FAILURES=0). */
export const FAILED_AUTH_LIMITER = Symbol('FAILED_AUTH_LIMITER');

type Config = ConfigService<Environment, true>;
const settingsOf = (config: Config) =>
  rateLimitSettings({
    RATE_LIMIT_REQUESTS: config.get('RATE_LIMIT_REQUESTS', { infer: true }),
    RATE_LIMIT_WINDOW_MS: config.get('RATE_LIMIT_WINDOW_MS', { infer: true }),
    RATE_LIMIT_AUTH_FAILURES: config.get('RATE_LIMIT_AUTH_FAILURES', { infer: true }),
    RATE_LIMIT_AUTH_WINDOW_MS: config.get('RATE_LIMIT_AUTH_WINDOW_MS', { infer: true }),
  });

/**
 * Rate limits, on by default, both applied by ApiKeyGuard (src/auth/api-key.guard.ts) and both counted in this
 * process's memory (fixed windows, O(1) per request: see FixedWindowLimiter), so with N replicas behind a load
 * balancer a key gets up to N times its limit, and an address N times its failures:
 * - per API key: every request whose key is accepted counts, and a request over the limit answers 429
 *   RATE_LIMITED before any pipe or handler runs, so it claims no Idempotency-Key and moves no money (safe to
 *   retry as it is);
 * - per client address: 401s count, and an address with too many answers 429 before its key is compared.
 * Global, because the guard is instantiated in every module whose controllers use it. Not an interceptor: any
 * interceptor makes Nest run every request of every route through rxjs, which costs more than the limiter.
 */
@Global()
@Module({
  providers: [
    {
      provide: API_KEY_RATE_LIMITER,
      inject: [ConfigService],
      useFactory: (config: Config): FixedWindowLimiter | null => {
        const policy = settingsOf(config).perKey;
        return policy ? new FixedWindowLimiter(policy) : null;
      },
    },
    {
      provide: FAILED_AUTH_LIMITER,
      inject: [ConfigService],
      useFactory: (config: Config): FixedWindowLimiter | null => {
        const policy = settingsOf(config).failedAuth;
        return policy ? new FixedWindowLimiter(policy) : null;
      },
    },
  ],
  exports: [API_KEY_RATE_LIMITER, FAILED_AUTH_LIMITER],
})
export class RateLimitModule {}
