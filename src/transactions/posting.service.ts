import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isRetryableConflict } from '../common/errors/database-errors.js';
import { Clock } from '../common/clock/clock.js';
import { uuidv7 } from '../common/ids/uuid-v7.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { IdempotencyContext } from '../common/idempotency/idempotency-key.decorator.js';
import { keyInProgress, keyReused, refusalFrom } from '../common/idempotency/idempotency.store.js';
import type { Metadata } from '../common/validation/metadata.js';
import { TransactionDocument, TransactionDto, toTransactionDto } from './dto/transaction.dto.js';
import type { TransactionType } from './transaction.entity.js';

/**
 * One money movement: `amountMinor` leaves the debit side and reaches the credit side. A null wallet
 * on a side is the currency's `world` account (money entering or leaving the service).
 */
export interface Movement {
  type: Extract<TransactionType, 'deposit' | 'withdrawal' | 'transfer'>;
  debitWalletId: string | null;
  creditWalletId: string | null;
  amountMinor: number;
  reference?: string;
  description?: string;
  metadata?: Metadata;
}

export interface PostedTransaction {
  transaction: TransactionDto;
  replayed: boolean;
}

type PostOutcome =
  | { outcome: 'posted'; transaction: TransactionDocument }
  | { outcome: 'refused'; code: string; detail: string }
  | { outcome: 'replay'; transaction: TransactionDocument | null; code: string | null; detail: string | null }
  | { outcome: 'key_reused' }
  | { outcome: 'in_progress' };

const MAX_ATTEMPTS = 3;

/**
 * The posting engine. Every movement is ONE statement, `post_movement(...)` (see the initial migration),
 * run as its own transaction: it claims the idempotency key, locks the wallets in id order with
 * SELECT … FOR UPDATE, checks status, currency and funds under the locks, and writes the transaction,
 * balances and entries. Nothing else happens while the row locks are held — no second round trip,
 * no logging, no awaiting anything but PostgreSQL — so the locks live for one statement and a COMMIT.
 */
@Injectable()
export class PostingService {
  private readonly logger = new Logger(PostingService.name);
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
  ) {}

  async post(movement: Movement, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const result = await this.execute(movement, idempotency);
    switch (result.outcome) {
      case 'posted':
        return { transaction: toTransactionDto(result.transaction), replayed: false };
      case 'refused':
        throw refusalFrom(result.code, result.detail);
      case 'replay':
        if (result.transaction) return { transaction: toTransactionDto(result.transaction), replayed: true };
        if (result.code) throw refusalFrom(result.code, result.detail);
        throw new Error('idempotency record without an outcome');
      case 'key_reused':
        throw keyReused();
      case 'in_progress':
        throw keyInProgress();
    }
  }

  private async execute(movement: Movement, idempotency: IdempotencyContext | null): Promise<PostOutcome> {
    const parameters = [
      uuidv7(),
      movement.type,
      movement.debitWalletId,
      movement.creditWalletId,
      movement.amountMinor,
      movement.reference ?? null,
      movement.description ?? null,
      movement.metadata ? JSON.stringify(movement.metadata) : null,
      idempotency?.scope ?? null,
      idempotency?.key ?? null,
      idempotency?.requestHash ?? null,
    ];
    for (let attempt = 1; ; attempt++) {
      try {
        const [row] = await this.dataSource.query(
          'SELECT post_movement($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) AS result',
          [...parameters, this.clock.now()],
        );
        return row.result as PostOutcome;
      } catch (error) {
        // Locks are always taken in id order, so a deadlock needs an outside party; retry it anyway.
        if (attempt >= MAX_ATTEMPTS || !isRetryableConflict(error)) throw error;
        this.logger.warn({ attempt, code: (error as { code?: string }).code }, 'retrying movement after a transient conflict');
      }
    }
  }
}

export function sameWalletRefusal(walletId: string): DomainError {
  return new DomainError('SAME_WALLET', `A transfer needs two different wallets; both are ${walletId}.`);
}
