import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One leg of a transaction: a signed amount on a wallet or on a system account (`world:EUR`, `revenue:EUR`). */
@Entity({ name: 'entries' })
export class EntryEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

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

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
