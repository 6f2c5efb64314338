import type { Response } from 'express';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** A quota, as RateLimit-Policy states it: `limit` units per window of `windowSeconds`. */
export interface RateLimitPolicy {
  /** The policy's name in the RateLimit-Policy and RateLimit headers. */
  name: string;
  limit: number;
  windowSeconds: number;
}

/** Where a key stands in its window, right after it was counted (or looked at). */
export interface WindowState {
  /** Units counted in the current window, this one included. */
  used: number;
  /** Until the window ends and the key has its whole quota again. */
  resetInMs: number;
}

/**
 * A fixed-window counter per key, in this process's memory: rate-limiter-flexible's RateLimiterMemory, which
 * keeps one record per key (a count and its window's end; a timer drops it when the window ends), so counting
 * costs O(1) whatever the rate: a Map lookup and an increment. A key's window opens with its first unit and
 * lasts `windowSeconds`; the next unit after it opens a new one. So no window holds more than `limit`, and
 * any span of one window's length at most twice that (the end of one window and the start of the next).
 *
 * It speaks the IETF draft's headers (draft-ietf-httpapi-ratelimit-headers): `RateLimit-Policy:
 * "<name>";q=<limit>;w=<seconds>` and `RateLimit: "<name>";r=<remaining>;t=<seconds until reset>`, plus
 * `Retry-After` (seconds) on a refusal.
 */
export class FixedWindowLimiter {
  private readonly counter: RateLimiterMemory;
  private readonly policyHeader: string;
  private readonly quotedName: string;

  constructor(readonly policy: RateLimitPolicy) {
    if (!/^[a-z][a-z0-9-]*$/.test(policy.name)) throw new Error(`rate-limit policy name ${policy.name} is not a plain token`);
    if (!Number.isSafeInteger(policy.limit) || policy.limit < 1) throw new Error(`rate-limit policy ${policy.name}: limit must be a positive integer`);
    if (!Number.isSafeInteger(policy.windowSeconds) || policy.windowSeconds < 1) throw new Error(`rate-limit policy ${policy.name}: window must be whole seconds`);
    this.counter = new RateLimiterMemory({ keyPrefix: policy.name, points: policy.limit, duration: policy.windowSeconds });
    this.quotedName = `"${policy.name}"`;
    this.policyHeader = `${this.quotedName};q=${policy.limit};w=${policy.windowSeconds}`;
  }

  /** Counts one unit against `key`: its state afterwards, `used` above `limit` when over. */
  async count(key: string): Promise<WindowState> {
    // consume() rejects with the key's state once the window's quota is spent; penalty() counts without judging.
    const state = await this.counter.penalty(key, 1);
    return { used: state.consumedPoints, resetInMs: state.msBeforeNext };
  }

  /** `key`'s state without counting; null when it has no open window. */
  async peek(key: string): Promise<WindowState | null> {
    const state: RateLimiterRes | null = await this.counter.get(key);
    return state === null || state.msBeforeNext <= 0 ? null : { used: state.consumedPoints, resetInMs: state.msBeforeNext };
  }

  isOver(state: WindowState): boolean {
    return state.used > this.policy.limit;
  }

  /** Spent: the next unit would be over the limit. */
  isSpent(state: WindowState): boolean {
    return state.used >= this.policy.limit;
  }

  /** Sets RateLimit-Policy and RateLimit for `state` on the answer. */
  describe(response: Response, state: WindowState): void {
    response.setHeader('RateLimit-Policy', this.policyHeader);
    response.setHeader('RateLimit', `${this.quotedName};r=${Math.max(this.policy.limit - state.used, 0)};t=${Math.ceil(Math.max(state.resetInMs, 0) / 1000)}`);
  }

  /** Sets the headers of a refusal (RateLimit with r=0, Retry-After) and returns the seconds to wait. */
  refuse(response: Response, state: WindowState): number {
    const retryAfterSeconds = retryAfter(state.resetInMs);
    response.setHeader('RateLimit-Policy', this.policyHeader);
    response.setHeader('RateLimit', `${this.quotedName};r=0;t=${retryAfterSeconds}`);
    response.setHeader('Retry-After', String(retryAfterSeconds));
    return retryAfterSeconds;
  }
}

/** Whole seconds, at least 1: a client told 0 would retry at once into the same window. */
function retryAfter(resetInMs: number): number {
  return Math.max(1, Math.ceil(resetInMs / 1000));
}
