import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type WalletStatus = 'active' | 'frozen' | 'closed';

/** A user's balance in one currency. Money columns are bigint minor units, read by pg as strings. */
@Entity({ name: 'wallets' })
export class WalletEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

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
}
