/**
 * Where exchange rates come from. The service asks for one rate at a time, when it makes a quote or shows a
 * balance in another currency, and never does arithmetic on what it gets but through src/common/money/fx-rate.ts.
 *
 * The built-in provider (OperatorFxRateProvider) reads the rates operators set with
 * `PUT /v1/admin/fx-rates/{from}/{to}`. A rate feed (a bank's, an exchange's, a market-data vendor's) plugs in as
 * another class implementing this interface, bound to FX_RATE_PROVIDER in FxModule — for instance one that reads
 * the feed and falls back to the operator's table. What a provider must keep:
 *
 * - `rate` is a decimal string: up to 12 digits before the point and 12 after it (RATE_PATTERN), greater than 0,
 *   never a JavaScript number (a float cannot hold 1.0842 exactly). A feed's rate with more digits is rounded by
 *   the provider, which decides in whose favour.
 * - A rate is directional: EUR→USD says how many USD one EUR buys. The service never inverts a rate (1 / 1.0842 has
 *   no finite decimal), so a provider that offers USD→EUR says so itself.
 * - null means "no rate for this pair now" and answers 422 RATE_UNAVAILABLE; a provider that cannot be reached
 *   throws, and the call answers 503 like any dependency that is down.
 * - Rates are per tenant: each tenant of the service may buy at its own rates.
 * - `updatedAt` is when the rate was set or published; the service shows it, and a provider should return null
 *   rather than a rate it considers stale.
 */
export interface FxRateProvider {
  rate(tenantId: string, fromCurrency: string, toCurrency: string): Promise<FxRate | null>;
}

export interface FxRate {
  fromCurrency: string;
  toCurrency: string;
  /** Major units of toCurrency one major unit of fromCurrency buys, as a decimal string. */
  rate: string;
  updatedAt: Date;
}

/** The Nest injection token of the FxRateProvider in use. */
export const FX_RATE_PROVIDER = Symbol('FX_RATE_PROVIDER');
