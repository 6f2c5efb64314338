import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * One rate an operator set for a currency pair of a tenant (PUT /v1/admin/fx-rates/{from}/{to}). Rows are only
 * ever added: the pair's current rate is its newest row (highest id), and the older ones are its history.
 * `rate` is numeric, read by pg as a decimal string and never as a float.
 */
@Entity({ name: 'fx_rates' })
@Index('fx_rates_pair_idx', ['tenantId', 'fromCurrency', 'toCurrency', 'id'])
@Check('fx_rates_tenant_id_check', `tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'`)
@Check('fx_rates_from_currency_check', `from_currency ~ '^[A-Z]{3}$'`)
@Check('fx_rates_to_currency_check', `to_currency ~ '^[A-Z]{3}$'`)
@Check('fx_rates_two_currencies', 'from_currency <> to_currency')
@Check('fx_rates_rate_bounds', 'rate > 0 AND rate < 1000000000000 AND scale(rate) <= 12')
export class FxRateEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'from_currency', type: 'char', length: 3 })
  fromCurrency: string;

  @Column({ name: 'to_currency', type: 'char', length: 3 })
  toCurrency: string;

  /** Major units of to_currency one major unit of from_currency buys. */
  @Column({ type: 'numeric' })
  rate: string;

  /** The name of the API key that set it. */
  @Column({ name: 'set_by', type: 'varchar', length: 64 })
  setBy: string;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
