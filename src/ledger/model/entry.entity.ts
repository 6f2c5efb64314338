import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { WalletEntity } from '../../wallets/wallet.entity.js';
import { TransactionEntity } from './transaction.entity.js';

/**
 * One leg of a transaction: a signed amount on a wallet or on a system account (`world:EUR`, `revenue:EUR`,
 * `fx:EUR`). An entry is in its transaction's tenant and in one of its currencies (a conversion has two): the
 * statement trigger entries_sum_to_zero checks that, with the sum per currency (src/ledger/sql/entries_assert_balanced.sql).
 */
@Entity({ name: 'entries' })
@Index('entries_wallet_id_created_at_idx', ['walletId', 'createdAt', 'id'], { where: 'wallet_id IS NOT NULL' })
@Index('entries_transaction_id_idx', ['transactionId'])
@Check('entries_amount_check', 'amount <> 0 AND amount BETWEEN -9007199254740991 AND 9007199254740991')
@Check('entries_wallet_xor_account', '(wallet_id IS NULL) <> (account IS NULL)')
@Check('entries_balance_after_for_wallets', '(wallet_id IS NULL) = (balance_after IS NULL)')
@Check('entries_account_of_currency', `account IN ('world:' || currency, 'revenue:' || currency, 'fx:' || currency)`)
@Check('entries_hash_for_wallets', '(wallet_id IS NULL) = (hash IS NULL)')
export class EntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  /** The tenant this row belongs to; another tenant's rows are invisible to its keys. */
  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ name: 'transaction_id', type: 'uuid' })
  transactionId: string;

  @Column({ type: 'char', length: 3 })
  currency: string;

  @Column({ name: 'wallet_id', type: 'uuid', nullable: true })
  walletId: string | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  account: string | null;

  @Column({ name: 'amount', type: 'bigint' })
  amountMinor: string;

  @Column({ name: 'balance_after', type: 'bigint', nullable: true })
  balanceAfterMinor: string | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** A wallet entry's link in its wallet's chain: SHA-256 over the previous entry's hash and this one's content (entry_hash.sql); of the domain sha256_digest. */
  @Column({ type: 'bytea', nullable: true })
  hash: Buffer | null;

  /** The transaction exists; its tenant and currencies are the trigger's to check (see above). */
  @ManyToOne(() => TransactionEntity, { nullable: false })
  @JoinColumn({ name: 'transaction_id', referencedColumnName: 'id', foreignKeyConstraintName: 'entries_transaction_fk' })
  transaction?: Relation<TransactionEntity>;

  /** (wallet, tenant, currency): money never crosses tenants or currencies. */
  @ManyToOne(() => WalletEntity, { nullable: true })
  @JoinColumn([
    { name: 'wallet_id', referencedColumnName: 'id', foreignKeyConstraintName: 'entries_wallet_fk' },
    { name: 'tenant_id', referencedColumnName: 'tenantId' },
    { name: 'currency', referencedColumnName: 'currency' },
  ])
  wallet?: Relation<WalletEntity>;
}
