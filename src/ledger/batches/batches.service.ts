import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { DomainError, validationFailed } from '../../common/errors/domain-error.js';
import { uuidv7 } from '../../common/ids/uuid-v7.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { toHoldDto } from '../holds/dto/hold.dto.js';
import { toTransactionDto } from '../movements/dto/transaction.dto.js';
import { postBatch } from '../engine/calls.js';
import type { HoldDocument, TransactionDocument } from '../engine/documents.js';
import { LedgerEngine } from '../engine/ledger-engine.js';
import { BatchOperationDto, BatchResultDto, BatchResultItemDto, OPERATION_FIELDS } from './dto/batch.dto.js';

const DETAIL_FIELDS = ['reference', 'description', 'metadata'];

/** The `post_batch` SQL function's stored response: raw documents, rendered the same on every replay. */
interface StoredBatch {
  id: string;
  createdAt: string;
  operations: { type: BatchOperationDto['type']; transaction?: TransactionDocument; hold?: HoldDocument }[];
}

export interface BatchResponse {
  batch: BatchResultDto;
  replayed: boolean;
}

/**
 * Atomic batches: up to 100 operations applied all or nothing in one database transaction, one SQL
 * statement. Every wallet involved is locked once, in id order, before the first operation runs.
 */
@Injectable()
export class BatchesService {
  constructor(
    private readonly engine: LedgerEngine,
    private readonly clock: Clock,
  ) {}

  async post(tenantId: string, operations: BatchOperationDto[], idempotency: IdempotencyContext | null): Promise<BatchResponse> {
    operations.forEach(assertOperationShape);
    const now = this.clock.now();
    const planned = operations.map((op) => ({
      ...op,
      id: uuidv7(),
      ...(op.expiresInSeconds !== undefined ? { expiresAt: new Date(now.getTime() + op.expiresInSeconds * 1000).toISOString() } : {}),
    }));
    const result = await this.engine.run(postBatch({ tenantId, idempotency, now }, { batchId: uuidv7(), operations: planned }));
    if (result.kind !== 'response') throw new Error('the ledger engine answered a batch with a transaction');
    return { batch: toBatchResult(result.body as StoredBatch), replayed: result.replayed };
  }
}

/** Each type takes its own fields; anything else in an operation is a mistake worth a 400. */
function assertOperationShape(op: BatchOperationDto, index: number): void {
  const fields = OPERATION_FIELDS[op.type];
  const allowed = new Set<string>(['type', ...DETAIL_FIELDS, ...fields.required, ...fields.optional]);
  const extra = Object.keys(op).filter((key) => (op as unknown as Record<string, unknown>)[key] !== undefined && !allowed.has(key));
  if (extra.length > 0) {
    const errors = extra.map((field) => ({ field: `operations.${index}.${field}`, message: `is not used by a ${op.type} operation` }));
    throw validationFailed(errors.map((e) => `${e.field} ${e.message}`).join('; '), errors);
  }
  if (op.type === 'transfer' && op.fromWalletId?.toLowerCase() === op.toWalletId?.toLowerCase()) {
    throw new DomainError('SAME_WALLET', `operations[${index}]: a transfer needs two different wallets; both are ${op.fromWalletId}.`);
  }
}

function toBatchResult(stored: StoredBatch): BatchResultDto {
  return {
    id: stored.id,
    createdAt: new Date(stored.createdAt).toISOString(),
    operations: stored.operations.map(
      (op): BatchResultItemDto => ({
        type: op.type,
        ...(op.transaction ? { transaction: toTransactionDto(op.transaction) } : {}),
        ...(op.hold ? { hold: toHoldDto(op.hold, null) } : {}),
      }),
    ),
  };
}
