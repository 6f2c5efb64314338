import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { uuidv7 } from '../../common/ids/uuid-v7.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { type MovementCall, postMovement, refundTransaction } from '../engine/calls.js';
import type { MovementDetails } from '../engine/engine-call.js';
import { EngineResult, LedgerEngine } from '../engine/ledger-engine.js';
import { TransactionDto, toTransactionDto } from './dto/transaction.dto.js';

/** One money movement, before the service names its transaction. */
export type Movement = Omit<MovementCall, 'transactionId'>;

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
    const context = { tenantId, idempotency, now: this.clock.now() };
    return postedTransaction(await this.engine.run(postMovement(context, { ...movement, transactionId: uuidv7() })));
  }

  async refund(tenantId: string, refund: Refund, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const context = { tenantId, idempotency, now: this.clock.now() };
    const call = refundTransaction(context, { ...refund, transactionId: uuidv7(), amountMinor: refund.amountMinor ?? null });
    return postedTransaction(await this.engine.run(call));
  }
}

export function postedTransaction(result: EngineResult): PostedTransaction {
  if (result.kind !== 'transaction') throw new Error('the ledger engine answered a transaction call with a stored response');
  return { transaction: toTransactionDto(result.transaction), replayed: result.replayed };
}

export function sameWalletRefusal(walletId: string): DomainError {
  return new DomainError('SAME_WALLET', `A transfer needs two different wallets; both are ${walletId}.`);
}
