import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, type Relation } from 'typeorm';
import { TransactionEntity } from './transaction.entity.js';

/** One claimed Idempotency-Key per API key, with the outcome that a repeat replays. */
@Entity({ name: 'idempotency_keys' })
@Index('idempotency_keys_created_at_idx', ['createdAt'])
@Check('idempotency_keys_response_status_check', 'response_status BETWEEN 200 AND 299')
@Check(
  'idempotency_keys_one_outcome',
  'num_nonnulls(transaction_id, error_code, response_status) <= 1 AND (response_status IS NULL) = (response_body IS NULL)',
)
export class IdempotencyKeyEntity {
  /** `<tenant>/<API key name>`. */
  @PrimaryColumn({ type: 'varchar', length: 129 })
  scope: string;

  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  @Column({ name: 'request_hash', type: 'char', length: 64 })
  requestHash: string;

  @Column({ name: 'transaction_id', type: 'uuid', nullable: true })
  transactionId: string | null;

  @ManyToOne(() => TransactionEntity, { nullable: true, deferrable: 'INITIALLY DEFERRED' })
  @JoinColumn({ name: 'transaction_id', foreignKeyConstraintName: 'idempotency_keys_transaction_id_fkey' })
  transaction?: Relation<TransactionEntity>;

  @Column({ name: 'error_code', type: 'varchar', length: 64, nullable: true })
  errorCode: string | null;

  @Column({ name: 'error_detail', type: 'text', nullable: true })
  errorDetail: string | null;

  @Column({ name: 'response_status', type: 'smallint', nullable: true })
  responseStatus: number | null;

  @Column({ name: 'response_body', type: 'jsonb', nullable: true })
  responseBody: unknown;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
