import { MAX_AMOUNT_MINOR } from './amount.js';

/**
 * Exchange rates and conversions between minor units, exact: a rate is a decimal string held as an integer and a
 * power of ten, amounts are BigInt, and nothing passes through a binary floating-point number.
 *
 * A rate says how many major units of the target currency one major unit of the source currency buys (EUR→USD
 * 1.0842: one euro buys 1.0842 dollars). Converting `amountMinor` minor units of the source (exponent e_from) into
 * minor units of the target (exponent e_to):
 *
 *   converted = floor(amountMinor × rate × 10^(e_to − e_from))
 *
 * rounded down (towards −∞), so a conversion never hands out a fraction of a minor unit it did not receive. The
 * schema checks the same formula on numeric for every quote it stores (fx_quotes_converted_exactly).
 */

/** At most 12 digits before the point and 12 after it; no sign, no exponent, no leading zeros. */
export const RATE_INTEGER_DIGITS = 12;
export const RATE_FRACTION_DIGITS = 12;
export const RATE_PATTERN = `^(0|[1-9][0-9]{0,${RATE_INTEGER_DIGITS - 1}})(\\.[0-9]{1,${RATE_FRACTION_DIGITS}})?$`;
const RATE_REGEXP = new RegExp(RATE_PATTERN);
/** The longest rate text the pattern allows: 12 digits, the point, 12 digits. */
export const RATE_MAX_LENGTH = RATE_INTEGER_DIGITS + 1 + RATE_FRACTION_DIGITS;

/** rate = digits / 10^scale, with digits > 0 and no trailing zero in the fraction (scale is as small as it can be). */
export interface DecimalRate {
  digits: bigint;
  scale: number;
}

/** The rate a decimal string names, or null when it is not one RATE_PATTERN allows or is zero. */
export function parseRate(text: string): DecimalRate | null {
  if (typeof text !== 'string' || !RATE_REGEXP.test(text)) return null;
  const [integer, fraction = ''] = text.split('.');
  const trimmed = fraction.replace(/0+$/, '');
  const digits = BigInt(integer + trimmed);
  if (digits === 0n) return null;
  return { digits, scale: trimmed.length };
}

/** The shortest decimal text of a rate: `1.50` → `1.5`, `2.000` → `2`, `0.0100` → `0.01`. */
export function rateText(rate: DecimalRate): string {
  const text = rate.digits.toString().padStart(rate.scale + 1, '0');
  if (rate.scale === 0) return text;
  return `${text.slice(0, -rate.scale)}.${text.slice(-rate.scale)}`;
}

const TEN = 10n;

/** Integer division rounded towards −∞ (BigInt's `/` truncates towards zero). `divisor` > 0. */
function floorDivide(dividend: bigint, divisor: bigint): bigint {
  const quotient = dividend / divisor;
  return dividend % divisor !== 0n && dividend < 0n ? quotient - 1n : quotient;
}

/** Integer division rounded towards +∞, for dividend ≥ 0 and divisor > 0. */
function ceilDivide(dividend: bigint, divisor: bigint): bigint {
  return (dividend + divisor - 1n) / divisor;
}

/**
 * amountMinor × rate × 10^(toExponent − fromExponent), rounded down (towards −∞, also for a negative balance),
 * as the fraction numerator / denominator of two integers divided once.
 */
export function convertMinorUnits(amountMinor: bigint, rate: DecimalRate, fromExponent: number, toExponent: number): bigint {
  const { numerator, denominator } = factor(rate, fromExponent, toExponent);
  return floorDivide(amountMinor * numerator, denominator);
}

/** The conversion factor rate × 10^(toExponent − fromExponent) as numerator / denominator. */
function factor(rate: DecimalRate, fromExponent: number, toExponent: number): { numerator: bigint; denominator: bigint } {
  assertExponent(fromExponent);
  assertExponent(toExponent);
  return { numerator: rate.digits * TEN ** BigInt(toExponent), denominator: TEN ** BigInt(rate.scale + fromExponent) };
}

function assertExponent(exponent: number): void {
  if (!Number.isInteger(exponent) || exponent < 0 || exponent > 18) throw new Error(`not a minor-unit exponent: ${exponent}`);
}

/**
 * The amounts (1 … 2^53 − 1 minor units of the source) whose conversion at this rate is at least 1 and at most
 * 2^53 − 1 minor units of the target: an amount below `min` converts to 0, one above `max` past what the service
 * keeps. `min` > `max` when no amount converts (a rate so small that even 2^53 − 1 gives 0).
 */
export function convertibleRange(rate: DecimalRate, fromExponent: number, toExponent: number): { min: bigint; max: bigint } {
  const { numerator, denominator } = factor(rate, fromExponent, toExponent);
  const limit = BigInt(MAX_AMOUNT_MINOR);
  // converted ≥ 1  ⇔  amount × numerator ≥ denominator
  const min = ceilDivide(denominator, numerator);
  // converted ≤ limit  ⇔  amount × numerator < (limit + 1) × denominator
  const max = ((limit + 1n) * denominator - 1n) / numerator;
  return { min: min < 1n ? 1n : min, max: max > limit ? limit : max };
}
