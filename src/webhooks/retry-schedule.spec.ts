import { MAX_RETRY_DELAY_MS, nextAttemptDelayMs } from './retry-schedule.js';

describe('nextAttemptDelayMs', () => {
  const baseMs = 1_000;

  it('doubles from the base, with half of each delay fixed and half random', () => {
    expect(nextAttemptDelayMs(1, baseMs, () => 0)).toBe(500);
    expect(nextAttemptDelayMs(1, baseMs, () => 1)).toBe(1_000);
    expect(nextAttemptDelayMs(2, baseMs, () => 0)).toBe(1_000);
    expect(nextAttemptDelayMs(2, baseMs, () => 1)).toBe(2_000);
    expect(nextAttemptDelayMs(3, baseMs, () => 0.5)).toBe(3_000);
  });

  it('stays within [half, full] of the capped exponential for attempts 1..40', () => {
    let previousUpperMs = 0;
    for (let attempt = 1; attempt <= 40; attempt++) {
      const expectedCeilingMs = Math.min(MAX_RETRY_DELAY_MS, baseMs * 2 ** (attempt - 1));
      const lowerMs = nextAttemptDelayMs(attempt, baseMs, () => 0);
      const upperMs = nextAttemptDelayMs(attempt, baseMs, () => 1);
      expect(lowerMs).toBe(Math.ceil(expectedCeilingMs / 2));
      expect(upperMs).toBe(expectedCeilingMs);
      expect(lowerMs).toBeGreaterThan(0);
      expect(upperMs).toBeLessThanOrEqual(MAX_RETRY_DELAY_MS);
      expect(upperMs).toBeGreaterThanOrEqual(previousUpperMs);
      previousUpperMs = upperMs;
    }
  });

  it('reaches the one-hour cap and stays there', () => {
    expect(nextAttemptDelayMs(13, baseMs, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(nextAttemptDelayMs(40, baseMs, () => 1)).toBe(MAX_RETRY_DELAY_MS);
    expect(nextAttemptDelayMs(40, baseMs, () => 0)).toBe(MAX_RETRY_DELAY_MS / 2);
  });

  it('does not overflow for huge attempt numbers or bases', () => {
    for (const attempt of [1_100, 1_000_000, Number.MAX_SAFE_INTEGER]) {
      const delayMs = nextAttemptDelayMs(attempt, baseMs, () => 1);
      expect(Number.isFinite(delayMs)).toBe(true);
      expect(delayMs).toBe(MAX_RETRY_DELAY_MS);
    }
    expect(nextAttemptDelayMs(1, Number.MAX_SAFE_INTEGER, () => 1)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('never drops to 0, even with a 1 ms base', () => {
    expect(nextAttemptDelayMs(1, 1, () => 0)).toBe(1);
  });

  it('keeps a misbehaving random source inside the bounds', () => {
    expect(nextAttemptDelayMs(1, baseMs, () => 7)).toBe(1_000);
    expect(nextAttemptDelayMs(1, baseMs, () => -3)).toBe(500);
    expect(nextAttemptDelayMs(1, baseMs, () => Number.NaN)).toBe(500);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses attempt %p', (attempt) => {
    expect(() => nextAttemptDelayMs(attempt, baseMs)).toThrow(RangeError);
  });

  it.each([0, -5, 0.5, Number.POSITIVE_INFINITY])('refuses baseMs %p', (badBaseMs) => {
    expect(() => nextAttemptDelayMs(1, badBaseMs)).toThrow(RangeError);
  });

  it('uses Math.random by default and stays in bounds', () => {
    for (let i = 0; i < 100; i++) {
      const delayMs = nextAttemptDelayMs(4, baseMs);
      expect(delayMs).toBeGreaterThanOrEqual(4_000);
      expect(delayMs).toBeLessThanOrEqual(8_000);
    }
  });
});
