import { Inject, Injectable } from '@nestjs/common';
import { convertAmount, usableRate } from './fx-conversion.js';
import { FX_RATE_PROVIDER, type FxRateProvider } from './fx-rate-provider.js';

/** Amounts of a wallet shown in another currency at the current rate: an estimate, not a quote. */
export interface DisplayAmounts {
  currency: string;
  balance: number;
  available: number;
  /** The rate used, a decimal string; "1" when the currency is the wallet's own. */
  rate: string;
  /** When the rate was set; absent for the wallet's own currency. */
  rateUpdatedAt?: string;
  estimate: true;
}

/**
 * Balances in another currency, for GET /v1/wallets/{id}?displayCurrency=. Each amount is converted on its own and
 * rounded down (towards −∞, a negative balance too), exactly as a quote's convertedAmount is; so `available` shown
 * may differ by a minor unit from the shown balance minus the converted held amount. No rate → 422 RATE_UNAVAILABLE;
 * an amount that would pass ±(2^53 − 1) → 422 AMOUNT_NOT_CONVERTIBLE.
 */
@Injectable()
export class FxDisplay {
  constructor(@Inject(FX_RATE_PROVIDER) private readonly rates: FxRateProvider) {}

  async show(tenantId: string, walletCurrency: string, displayCurrency: string, amounts: { balance: number; available: number }): Promise<DisplayAmounts> {
    if (displayCurrency === walletCurrency) {
      return { currency: displayCurrency, balance: amounts.balance, available: amounts.available, rate: '1', estimate: true };
    }
    const rate = usableRate(walletCurrency, displayCurrency, await this.rates.rate(tenantId, walletCurrency, displayCurrency));
    return {
      currency: displayCurrency,
      balance: convertAmount(amounts.balance, rate, { atLeastOne: false }),
      available: convertAmount(amounts.available, rate, { atLeastOne: false }),
      rate: rate.text,
      rateUpdatedAt: rate.updatedAt.toISOString(),
      estimate: true,
    };
  }
}
