/** No retry waits longer than this: a receiver that comes back is caught up within the hour. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

// 2^32 × any base of at least 1 ms is already past the cap; a larger exponent only risks Infinity.
const MAX_EXPONENT = 32;

/**
 * How long to wait after the `attempt`-th failed attempt (1-based): baseMs × 2^(attempt − 1), capped at
 * MAX_RETRY_DELAY_MS, with "equal jitter" — half of it fixed, half random. The random half spreads out the
 * retries of every delivery that failed in the same outage; the fixed half keeps the delay from collapsing
 * towards 0, which would hammer a receiver that is just coming back. The result is in [ceil(d/2), d].
 */
export function nextAttemptDelayMs(attempt: number, baseMs: number, random: () => number = Math.random): number {
  if (!Number.isSafeInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be an integer ≥ 1, got ${attempt}`);
  if (!Number.isSafeInteger(baseMs) || baseMs < 1) throw new RangeError(`baseMs must be an integer ≥ 1, got ${baseMs}`);
  const ceilingMs = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** Math.min(attempt - 1, MAX_EXPONENT));
  const halfMs = ceilingMs / 2;
  const drawn = random();
  // A random source outside [0, 1] must not push the delay outside its bounds.
  const fraction = Number.isFinite(drawn) ? Math.min(1, Math.max(0, drawn)) : 0;
  return Math.ceil(halfMs + halfMs * fraction);
}
