import { Column, Entity, PrimaryColumn } from 'typeorm';

export type TransactionType = 'deposit' | 'withdrawal' | 'transfer' | 'capture' | 'refund';

/** The ledger's header row; written only by the `post_movement` SQL function. */
@Entity({ name: 'transactions' })
export class TransactionEntity {
  @PrimaryColumn('uuid')
  id: string;

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

  @Column({ name: 'refund_of', type: 'uuid', nullable: true })
  refundOf: string | null;

  @Column({ type: 'varchar', length: 255, nullable: true })
  reference: string | null;

  @Column({ type: 'varchar', length: 1000, nullable: true })
  description: string | null;

  @Column({ type: 'jsonb', default: {} })
  metadata: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
