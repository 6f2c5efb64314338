import type { Environment } from '../../config/environment.js';
import type { RateLimitPolicy } from './fixed-window-limiter.js';

/** The two bounds as configured; null where turned off (0). The OpenAPI document is built from these too. */
export interface RateLimitSettings {
  /** Requests per API key (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_MS). */
  perKey: RateLimitPolicy | null;
  /** Failed authentications (401) per client address (RATE_LIMIT_AUTH_FAILURES per RATE_LIMIT_AUTH_WINDOW_MS). */
  failedAuth: RateLimitPolicy | null;
}

export const PER_KEY_POLICY = 'api-key';
export const FAILED_AUTH_POLICY = 'failed-auth';

type RateLimitEnvironment = Pick<Environment, 'RATE_LIMIT_REQUESTS' | 'RATE_LIMIT_WINDOW_MS' | 'RATE_LIMIT_AUTH_FAILURES' | 'RATE_LIMIT_AUTH_WINDOW_MS'>;

export function rateLimitSettings(env: RateLimitEnvironment): RateLimitSettings {
  return {
    perKey:
      env.RATE_LIMIT_REQUESTS > 0 ? { name: PER_KEY_POLICY, limit: env.RATE_LIMIT_REQUESTS, windowSeconds: env.RATE_LIMIT_WINDOW_MS / 1000 } : null,
    failedAuth:
      env.RATE_LIMIT_AUTH_FAILURES > 0
        ? { name: FAILED_AUTH_POLICY, limit: env.RATE_LIMIT_AUTH_FAILURES, windowSeconds: env.RATE_LIMIT_AUTH_WINDOW_MS / 1000 }
        : null,
  };
}
