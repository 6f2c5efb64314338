import type { Request, Response } from 'express';
import { DomainError } from '../common/errors/domain-error.js';
import { clientAddressKey } from '../common/rate-limit/client-address.js';
import type { FixedWindowLimiter } from '../common/rate-limit/fixed-window-limiter.js';

/**
 * Failed authentication bounded per client address, so that keys cannot be guessed at speed: every 401 counts
 * against the address it came from (RATE_LIMIT_AUTH_FAILURES per RATE_LIMIT_AUTH_WINDOW_MS), and once an
 * address has spent them, each request from it answers 429 RATE_LIMITED with Retry-After until its window
 * ends, before the key it carries is even compared: a right guess then looks exactly like a wrong one, and a
 * right key from the same address waits too. Other addresses are not affected. Refusals (429) do not count,
 * so the window ends when it was going to.
 */
export class FailedAuthBound {
  constructor(private readonly limiter: FixedWindowLimiter) {}

  /** The address `request` counts under; throws 429 RATE_LIMITED (headers set) when it has no failures left. */
  async admit(request: Request, response: Response): Promise<string> {
    const address = clientAddressKey(request.ip);
    const state = await this.limiter.peek(address);
    if (state !== null && this.limiter.isSpent(state)) {
      const retryAfterSeconds = this.limiter.refuse(response, state);
      throw new DomainError(
        'RATE_LIMITED',
        `Too many failed authentications from this address (${this.limiter.policy.limit} per ${this.limiter.policy.windowSeconds} s); ` +
          `retry after ${retryAfterSeconds} s.`,
      );
    }
    return address;
  }

  /** Counts a failure against `address` and returns the 401 to throw, its answer carrying what is left. */
  async failed(address: string, response: Response, detail: string): Promise<DomainError> {
    this.limiter.describe(response, await this.limiter.count(address));
    return new DomainError('UNAUTHORIZED', detail);
  }
}
