import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique, type Relation } from 'typeorm';
import { WalletEntity } from '../../wallets/wallet.entity.js';

export type HoldStatus = 'active' | 'captured' | 'voided' | 'expired';

/**
 * Money reserved on a wallet for an order; written only by the hold SQL functions (see migrations/).
 * `released_at` is when it stopped counting in the wallet's held amount.
 */
@Entity({ name: 'holds' })
@Index('holds_active_wallet_expiry_idx', ['walletId', 'expiresAt'], { where: `status = 'active'` })
@Index('holds_active_expiry_idx', ['expiresAt'], { where: `status = 'active'` })
@Index('holds_wallet_id_id_idx', ['walletId', 'id'])
@Unique('holds_id_tenant_currency_key', ['id', 'tenantId', 'currency'])
@Check('holds_amount_check', 'amount BETWEEN 1 AND 9007199254740991')
@Check('holds_status_check', `status IN ('active', 'captured', 'voided', 'expired')`)
@Check('holds_metadata_check', `jsonb_typeof(metadata) = 'object'`)
@Check('holds_captured_within_amount', `captured_amount BETWEEN 0 AND amount AND (status = 'captured') = (captured_amount > 0)`)
@Check('holds_released_when_ended', `(status = 'active') = (released_at IS NULL)`)
@Check('holds_expired_at_expiry', `status <> 'expired' OR released_at = expires_at`)
@Check('holds_expiry_after_creation', 'expires_at > created_at')
export class HoldEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** The tenant this row belongs to; another tenant's rows are invisible to its keys. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'wallet_id', type: 'uuid' })
  walletId: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ name: 'amount', type: 'bigint' })
  amountMinor: string;

  @Column({ name: 'captured_amount', type: 'bigint', default: 0 })
  capturedAmountMinor: string;

  @Column({ type: 'varchar', length: 8, default: 'active' })
  status: HoldStatus;

  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true })
  expiresAt: Date | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reference: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'released_at', type: 'timestamptz', nullable: true })
  releasedAt: Date | null;

  /** The UTC day whose (and whose month's) debit usage the hold counts in; null: placed before limits existed. */
  @Column({ name: 'debit_counted_on', type: 'date', nullable: true })
  debitCountedOn: string | null;

  /** (wallet, tenant, currency): a hold is in its wallet's tenant and currency. */
  @ManyToOne(() => WalletEntity, { nullable: false })
  @JoinColumn([
    { name: 'wallet_id', referencedColumnName: 'id', foreignKeyConstraintName: 'holds_wallet_fk' },
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'currency', referencedColumnName: 'currency' },
  ])
  wallet?: Relation<WalletEntity>;
}
