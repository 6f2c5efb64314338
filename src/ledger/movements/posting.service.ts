import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { uuidv7 } from '../../common/ids/uuid-v7.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import type { Metadata } from '../../common/validation/metadata.js';
import { TransactionDto, toTransactionDto } from './dto/transaction.dto.js';
import { EngineResult, LedgerEngine } from '../engine/ledger-engine.js';
import type { TransactionType } from '../model/transaction.entity.js';

/** What a caller may attach to any money movement. */
export interface MovementDetails {
  reference?: string;
  description?: string;
  metadata?: Metadata;
}

/**
 * One money movement: `amountMinor` leaves the debit side and reaches the credit side. A null wallet
 * on a side is the currency's `world` account (money entering or leaving the service).
 */
export interface Movement extends MovementDetails {
  type: Extract<TransactionType, 'deposit' | 'withdrawal' | 'transfer'>;
  debitWalletId: string | null;
  creditWalletId: string | null;
  amountMinor: number;
}

/** A refund of a deposit, transfer or capture; without an amount, all that is still refundable. */
export interface Refund extends MovementDetails {
  originalId: string;
  amountMinor?: number;
}

export interface PostedTransaction {
  transaction: TransactionDto;
  replayed: boolean;
}

/** Deposits, withdrawals, transfers and refunds, each one call of the ledger engine. */
@Injectable()
export class PostingService {
  constructor(
    private readonly engine: LedgerEngine,
    private readonly clock: Clock,
  ) {}

  async post(tenantId: string, movement: Movement, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const result = await this.engine.run(
      'post_movement',
      tenantId,
      [
        uuidv7(),
        movement.type,
        movement.debitWalletId,
        movement.creditWalletId,
        movement.amountMinor,
        ...detailsParameters(movement),
      ],
      idempotency,
      this.clock.now(),
    );
    return postedTransaction(result);
  }

  async refund(tenantId: string, refund: Refund, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const result = await this.engine.run(
      'refund_transaction',
      tenantId,
      [uuidv7(), refund.originalId, refund.amountMinor ?? null, ...detailsParameters(refund)],
      idempotency,
      this.clock.now(),
    );
    return postedTransaction(result);
  }
}

/** reference, description and metadata as the SQL functions take them. */
export function detailsParameters(details: MovementDetails): [string | null, string | null, string | null] {
  return [details.reference ?? null, details.description ?? null, details.metadata ? JSON.stringify(details.metadata) : null];
}

export function postedTransaction(result: EngineResult): PostedTransaction {
  if (result.kind !== 'transaction') throw new Error('the ledger engine answered a transaction call with a stored response');
  return { transaction: toTransactionDto(result.transaction), replayed: result.replayed };
}

export function sameWalletRefusal(walletId: string): DomainError {
  return new DomainError('SAME_WALLET', `A transfer needs two different wallets; both are ${walletId}.`);
}
