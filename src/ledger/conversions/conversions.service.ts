import { Injectable } from '@nestjs/common';
import { Clock } from '../../common/clock/clock.js';
import { uuidv7 } from '../../common/ids/uuid-v7.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { type ConversionCall, postConversion } from '../engine/calls.js';
import { LedgerEngine } from '../engine/ledger-engine.js';
import { type PostedTransaction, postedTransaction } from '../movements/posting.service.js';

/** Conversions between currencies at an FX quote's amounts, one call of the ledger engine each (post_conversion.sql). */
@Injectable()
export class ConversionsService {
  constructor(
    private readonly engine: LedgerEngine,
    private readonly clock: Clock,
  ) {}

  async convert(tenantId: string, conversion: Omit<ConversionCall, 'transactionId'>, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const context = { tenantId, idempotency, now: this.clock.now() };
    return postedTransaction(await this.engine.run(postConversion(context, { ...conversion, transactionId: uuidv7() })));
  }
}
