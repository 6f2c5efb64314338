import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import type { RateLimiter } from './api-key-rate-limiter.js';

export const RATE_LIMITER = Symbol('RATE_LIMITER');

/**
 * Applies the per-key rate limit after authentication. The throttler cannot be a guard: Nest runs global
 * guards before a controller's own, and the key is known only once ApiKeyGuard (a controller guard, which
 * may look the key up in the database) has run. Interceptors run after every guard — global, controller
 * and route — so `request.apiKeyName` is set by then on every /v1 route, and a request refused by a guard
 * (401, 403) never counts. It runs before pipes and the handler: a refused request claims no
 * Idempotency-Key and moves no money, so it is safe to retry as it is.
 */
@Injectable()
export class RateLimitInterceptor implements NestInterceptor {
  constructor(@Inject(RATE_LIMITER) private readonly limiter: RateLimiter | null) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> | Promise<Observable<unknown>> {
    // With limits off (the default) this stays synchronous: no promise on every request's path.
    if (!this.limiter || context.getType() !== 'http') return next.handle();
    return this.limiter.check(context).then(() => next.handle());
  }
}
