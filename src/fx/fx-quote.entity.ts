import { Check, Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/**
 * An FX quote: `amount` minor units of from_currency convert into `converted_amount` minor units of to_currency
 * until `expires_at`, at most once (transactions.quote_id is UNIQUE). Written by the quotes service, read by
 * post_conversion, never changed. The schema recomputes converted_amount from amount, rate and the two exponents
 * on numeric (fx_quotes_converted_exactly), so the service's BigInt arithmetic is checked a second time by
 * arithmetic it does not share.
 */
@Entity({ name: 'fx_quotes' })
@Unique('fx_quotes_conversion_key', ['id', 'tenantId', 'fromCurrency', 'toCurrency', 'amountMinor', 'convertedAmountMinor', 'rate'])
@Check('fx_quotes_tenant_id_check', `tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'`)
@Check('fx_quotes_from_currency_check', `from_currency ~ '^[A-Z]{3}$'`)
@Check('fx_quotes_to_currency_check', `to_currency ~ '^[A-Z]{3}$'`)
@Check('fx_quotes_two_currencies', 'from_currency <> to_currency')
@Check('fx_quotes_amount_check', 'amount BETWEEN 1 AND 9007199254740991')
@Check('fx_quotes_converted_amount_check', 'converted_amount BETWEEN 1 AND 9007199254740991')
@Check('fx_quotes_rate_bounds', 'rate > 0 AND rate < 1000000000000 AND scale(rate) <= 12')
@Check('fx_quotes_from_exponent_check', 'from_exponent BETWEEN 0 AND 4')
@Check('fx_quotes_to_exponent_check', 'to_exponent BETWEEN 0 AND 4')
@Check('fx_quotes_converted_exactly', 'converted_amount = floor(amount * rate * power(10::numeric, to_exponent - from_exponent))')
@Check('fx_quotes_lifetime', `expires_at > created_at AND expires_at <= created_at + interval '600 seconds'`)
export class FxQuoteEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'from_currency', type: 'char', length: 3 })
  fromCurrency: string;

  @Column({ name: 'to_currency', type: 'char', length: 3 })
  toCurrency: string;

  @Column({ name: 'amount', type: 'bigint' })
  amountMinor: string;

  @Column({ name: 'converted_amount', type: 'bigint' })
  convertedAmountMinor: string;

  @Column({ type: 'numeric' })
  rate: string;

  /** ISO 4217 minor-unit exponents of the two currencies when the quote was made. */
  @Column({ name: 'from_exponent', type: 'smallint' })
  fromExponent: number;

  @Column({ name: 'to_exponent', type: 'smallint' })
  toExponent: number;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
