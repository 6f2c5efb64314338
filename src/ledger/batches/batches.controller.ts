import { Body, Controller, Res } from '@nestjs/common';
import { Tenant } from '../../auth/tenant.decorator.js';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator.js';
import { markReplayed } from '../../common/http/idempotency-header.js';
import { Idempotency, IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { MoneyPost } from '../money-post.decorator.js';
import { BatchesService } from './batches.service.js';
import { BatchDto, BatchResultDto, MAX_BATCH_OPERATIONS } from './dto/batch.dto.js';

@ApiTags('batches')
@ApiKeyAuth()
@Controller('v1/batches')
export class BatchesController {
  constructor(private readonly batches: BatchesService) {}

  @MoneyPost({
    type: BatchResultDto,
    summary: `Apply up to ${MAX_BATCH_OPERATIONS} operations all or nothing`,
    description:
      'Operations: `deposit` and `withdrawal` {walletId, amount}, `transfer` {fromWalletId, toWalletId, amount}, ' +
      '`hold` {walletId, amount, expiresInSeconds?}, `capture` {holdId, amount?, toWalletId?}; each may carry reference, ' +
      'description and metadata. They run in order in one database transaction, every wallet involved locked once in id order. ' +
      'If any is refused, none is applied: the problem names the operation as `operations[i]` in its detail.',
  })
  async post(
    @Tenant() tenantId: string,
    @Body() body: BatchDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<BatchResultDto> {
    const posted = await this.batches.post(tenantId, body.operations, idempotency);
    markReplayed(response, posted.replayed);
    return posted.batch;
  }
}
