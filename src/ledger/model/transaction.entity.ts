import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, Unique, type Relation } from 'typeorm';
import { FxQuoteEntity } from '../../fx/fx-quote.entity.js';
import { HoldEntity } from './hold.entity.js';

export type TransactionType = 'deposit' | 'withdrawal' | 'transfer' | 'capture' | 'refund' | 'conversion';

/**
 * A conversion names its quote, and only a conversion has one; it carries the quote's target currency, converted
 * amount and rate (transactions_quote_fk makes them the quote's), and moves money from one wallet to another.
 */
export const CONVERSION_OF_QUOTE =
  `(type = 'conversion') = (quote_id IS NOT NULL) AND (quote_id IS NULL) = (to_currency IS NULL) ` +
  `AND (quote_id IS NULL) = (converted_amount IS NULL) AND (quote_id IS NULL) = (rate IS NULL) ` +
  `AND (type <> 'conversion' OR (wallet_id IS NULL AND from_wallet_id IS NOT NULL AND to_wallet_id IS NOT NULL AND from_wallet_id <> to_wallet_id))`;

/** The ledger's header row; written only by the posting SQL functions (post_movement, capture_hold, …). Constraints as in migrations/. */
@Entity({ name: 'transactions' })
@Unique('transactions_id_tenant_currency_key', ['id', 'tenantId', 'currency'])
@Index('transactions_one_capture_per_hold', ['holdId'], { unique: true, where: 'hold_id IS NOT NULL' })
@Index('transactions_refund_of_idx', ['refundOf'], { where: 'refund_of IS NOT NULL' })
@Index('transactions_one_conversion_per_quote', ['quoteId'], { unique: true, where: 'quote_id IS NOT NULL' })
// BRIN (migrations/1764300000001), which TypeORM cannot declare: listed so schema sync leaves it alone.
@Index('transactions_created_at_brin', { synchronize: false })
@Check('transactions_refunded_within_amount', 'refunded_amount BETWEEN 0 AND amount')
@Check('transactions_only_originals_refunded', `refunded_amount = 0 OR type IN ('deposit', 'transfer', 'capture')`)
@Check('transactions_capture_of_hold', `(type = 'capture') = (hold_id IS NOT NULL) AND (type <> 'capture' OR from_wallet_id IS NOT NULL)`)
@Check('transactions_refund_of_original', `(type = 'refund') = (refund_of IS NOT NULL)`)
@Check('transactions_type_check', `type IN ('deposit', 'withdrawal', 'transfer', 'capture', 'refund', 'conversion')`)
@Check('transactions_conversion_of_quote', CONVERSION_OF_QUOTE)
@Check('transactions_status_check', `status IN ('posted')`)
@Check('transactions_amount_check', 'amount BETWEEN 1 AND 9007199254740991')
@Check('transactions_metadata_check', `jsonb_typeof(metadata) = 'object'`)
@Check(
  'transactions_transfer_between_two_wallets',
  `type <> 'transfer' OR (from_wallet_id IS NOT NULL AND to_wallet_id IS NOT NULL AND from_wallet_id <> to_wallet_id)`,
)
export class TransactionEntity {
  @PrimaryColumn('uuid')
  id: string;

  /** The tenant this row belongs to; another tenant's rows are invisible to its keys. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ type: 'varchar', length: 10 })
  type: TransactionType;

  @Column({ type: 'varchar', length: 10, default: 'posted' })
  status: 'posted';

  @Column({ name: 'amount', type: 'bigint' })
  amountMinor: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ name: 'wallet_id', type: 'uuid', nullable: true })
  walletId: string | null;

  @Column({ name: 'from_wallet_id', type: 'uuid', nullable: true })
  fromWalletId: string | null;

  @Column({ name: 'to_wallet_id', type: 'uuid', nullable: true })
  toWalletId: string | null;

  @Column({ name: 'hold_id', type: 'uuid', nullable: true })
  holdId: string | null;

  /** (hold, tenant, currency): a capture is in its hold's tenant and currency. */
  @ManyToOne(() => HoldEntity, { nullable: true })
  @JoinColumn([
    { name: 'hold_id', referencedColumnName: 'id', foreignKeyConstraintName: 'transactions_hold_fk' },
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'currency', referencedColumnName: 'currency' },
  ])
  hold?: Relation<HoldEntity>;

  /** How much of this deposit, transfer or capture has been refunded so far. */
  @Column({ name: 'refunded_amount', type: 'bigint', default: 0 })
  refundedAmountMinor: string;

  @Column({ name: 'refund_of', type: 'uuid', nullable: true })
  refundOf: string | null;

  /** (original, tenant, currency): a refund is in its original's tenant and currency. */
  @ManyToOne(() => TransactionEntity, { nullable: true })
  @JoinColumn([
    { name: 'refund_of', referencedColumnName: 'id', foreignKeyConstraintName: 'transactions_refund_of_fk' },
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'currency', referencedColumnName: 'currency' },
  ])
  refunded?: Relation<TransactionEntity>;

  /** Conversions: the FX quote used (at most one conversion per quote), and its target currency, converted amount and rate. */
  @Column({ name: 'quote_id', type: 'uuid', nullable: true })
  quoteId: string | null;

  @Column({ name: 'to_currency', type: 'char', length: 3, nullable: true })
  toCurrency: string | null;

  @Column({ name: 'converted_amount', type: 'bigint', nullable: true })
  convertedAmountMinor: string | null;

  @Column({ type: 'numeric', nullable: true })
  rate: string | null;

  /** (quote, tenant, currencies, amounts, rate): a conversion is its quote's, in its quote's tenant. */
  @ManyToOne(() => FxQuoteEntity, { nullable: true })
  @JoinColumn([
    { name: 'quote_id', referencedColumnName: 'id', foreignKeyConstraintName: 'transactions_quote_fk' },
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'currency', referencedColumnName: 'fromCurrency' },
    { name: 'to_currency', referencedColumnName: 'toCurrency' },
    { name: 'amount', referencedColumnName: 'amountMinor' },
    { name: 'converted_amount', referencedColumnName: 'convertedAmountMinor' },
    { name: 'rate', referencedColumnName: 'rate' },
  ])
  quote?: Relation<FxQuoteEntity>;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reference: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
