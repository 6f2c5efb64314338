import { Check, Column, Entity, PrimaryGeneratedColumn, Unique } from 'typeorm';

export type WalletStatus = 'active' | 'frozen' | 'closed';

/**
 * A user's balance in one currency. Money columns are bigint minor units, read by pg as strings.
 * The constraints are the schema's (migrations/); declared here by name so `migration:generate` sees them.
 * The limit, usage and hash columns are of the domains minor_units_limit (1 … 2^53 − 1), minor_units_used
 * (0 … 2^53 − 1) and sha256_digest (32 bytes), which carry their own CHECKs (migrations/1764700000000).
 */
@Entity({ name: 'wallets' })
@Unique('wallets_tenant_owner_currency_key', ['tenantId', 'ownerId', 'currency'])
@Unique('wallets_id_tenant_currency_key', ['id', 'tenantId', 'currency'])
@Check('wallets_tenant_id_check', `tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'`)
@Check('wallets_owner_id_check', 'length(owner_id) BETWEEN 1 AND 128')
@Check('wallets_currency_check', `currency ~ '^[A-Z]{3}$'`)
@Check('wallets_status_check', `status IN ('active', 'frozen', 'closed')`)
@Check('wallets_balance_check', 'balance BETWEEN -9007199254740991 AND 9007199254740991')
@Check('wallets_held_check', 'held BETWEEN 0 AND 9007199254740991')
@Check('wallets_overdraft_limit_check', 'overdraft_limit BETWEEN 0 AND 9007199254740991')
@Check('wallets_metadata_check', `jsonb_typeof(metadata) = 'object'`)
@Check('wallets_available_within_overdraft', 'balance - held >= -overdraft_limit')
@Check('wallets_closed_is_empty', `status <> 'closed' OR (balance = 0 AND held = 0)`)
@Check('wallets_debit_day_within_month', 'debit_day_used <= debit_month_used')
export class WalletEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The tenant this row belongs to; another tenant's rows are invisible to its keys. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'owner_id', type: 'varchar', length: 128 })
  ownerId: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ type: 'varchar', length: 6, default: 'active' })
  status: WalletStatus;

  @Column({ name: 'balance', type: 'bigint', default: 0 })
  balanceMinor: string;

  @Column({ name: 'held', type: 'bigint', default: 0 })
  heldMinor: string;

  @Column({ name: 'overdraft_limit', type: 'bigint', default: 0 })
  overdraftLimitMinor: string;

  @Column({ type: 'integer', default: 0 })
  version: number;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  /** The stamp of the wallet's last entry: the next one is stamped no earlier (write_legs), so entries keep ledger order in time. */
  @Column({ name: 'last_entry_at', type: 'timestamptz', nullable: true })
  lastEntryAt: Date | null;

  /** SHA-256 of the wallet's last entry (entry_hash.sql): the next entry chains from it, under the row lock. */
  @Column({ name: 'last_entry_hash', type: 'bytea', nullable: true })
  lastEntryHash: Buffer | null;

  /** Limits in minor units; null: none. Debits per UTC day and month, and the balance after a move in. */
  @Column({ name: 'limit_daily_debit', type: 'bigint', nullable: true })
  limitDailyDebitMinor: string | null;

  @Column({ name: 'limit_monthly_debit', type: 'bigint', nullable: true })
  limitMonthlyDebitMinor: string | null;

  @Column({ name: 'limit_max_balance', type: 'bigint', nullable: true })
  limitMaxBalanceMinor: string | null;

  /**
   * What the debit limits have used, and the UTC day it belongs to (debit_usage.sql): the day's and its month's
   * debits, holds included from placement. A later day starts at zero, with no job.
   */
  @Column({ name: 'debit_period', type: 'date', nullable: true })
  debitPeriod: string | null;

  @Column({ name: 'debit_day_used', type: 'bigint', default: 0 })
  debitDayUsedMinor: string;

  @Column({ name: 'debit_month_used', type: 'bigint', default: 0 })
  debitMonthUsedMinor: string;
}
