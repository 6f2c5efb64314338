import { DomainError } from '../common/errors/domain-error.js';
import { MAX_AMOUNT_MINOR } from '../common/money/amount.js';
import { convertibleRange, convertMinorUnits, type DecimalRate, parseRate, rateText } from '../common/money/fx-rate.js';
import { minorUnitExponent } from '../common/money/minor-units.js';
import type { FxRate } from './fx-rate-provider.js';

/** A rate ready for arithmetic: the provider's decimal string parsed, with both currencies' exponents. */
export interface UsableRate {
  fromCurrency: string;
  toCurrency: string;
  rate: DecimalRate;
  /** The rate's shortest decimal text (`1.50` → `1.5`): what the service stores and shows. */
  text: string;
  fromExponent: number;
  toExponent: number;
  updatedAt: Date;
}

export function rateUnavailable(fromCurrency: string, toCurrency: string, why = 'no rate is set for this pair'): DomainError {
  return new DomainError('RATE_UNAVAILABLE', `No exchange rate from ${fromCurrency} to ${toCurrency}: ${why}.`);
}

/**
 * What the provider answered, checked: no rate, or a currency without an ISO 4217 minor unit (XDR, XSU), is
 * RATE_UNAVAILABLE; a provider answering something that is not a rate is a bug of the provider (an Error, 500).
 */
export function usableRate(fromCurrency: string, toCurrency: string, found: FxRate | null): UsableRate {
  const fromExponent = minorUnitExponent(fromCurrency);
  const toExponent = minorUnitExponent(toCurrency);
  for (const [code, exponent] of [[fromCurrency, fromExponent], [toCurrency, toExponent]] as const) {
    if (exponent === null) throw rateUnavailable(fromCurrency, toCurrency, `ISO 4217 gives ${code} no minor unit, so the service converts no amounts in it`);
  }
  if (!found) throw rateUnavailable(fromCurrency, toCurrency);
  const rate = parseRate(found.rate);
  if (!rate || found.fromCurrency !== fromCurrency || found.toCurrency !== toCurrency) {
    throw new Error(`the FX rate provider answered ${JSON.stringify(found)} for ${fromCurrency}→${toCurrency}`);
  }
  return { fromCurrency, toCurrency, rate, text: rateText(rate), fromExponent: fromExponent!, toExponent: toExponent!, updatedAt: found.updatedAt };
}

/**
 * `amountMinor` of the source in minor units of the target, rounded down; 422 AMOUNT_NOT_CONVERTIBLE when that is
 * below 1 (`atLeastOne`) or beyond ±(2^53 − 1), naming the amounts that do convert.
 */
export function convertAmount(amountMinor: number, rate: UsableRate, { atLeastOne }: { atLeastOne: boolean }): number {
  const converted = convertMinorUnits(BigInt(amountMinor), rate.rate, rate.fromExponent, rate.toExponent);
  const limit = BigInt(MAX_AMOUNT_MINOR);
  if ((atLeastOne && converted < 1n) || converted > limit || converted < -limit) {
    const range = convertibleRange(rate.rate, rate.fromExponent, rate.toExponent);
    const convertible =
      range.min > range.max ? 'no amount converts at this rate' : `amounts from ${range.min} to ${range.max} ${rate.fromCurrency} minor units convert`;
    throw new DomainError(
      'AMOUNT_NOT_CONVERTIBLE',
      `${amountMinor} ${rate.fromCurrency} minor units at ${rate.text} are ${converted} ${rate.toCurrency} minor units` +
        `${converted > limit || converted < -limit ? `, beyond the ±${MAX_AMOUNT_MINOR} the service keeps` : ''}; ${convertible}.`,
    );
  }
  return Number(converted);
}
