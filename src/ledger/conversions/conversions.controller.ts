import { Body, Controller, Res } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator.js';
import { Tenant } from '../../auth/tenant.decorator.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { Idempotency, type IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { MoneyPost } from '../money-post.decorator.js';
import { TransactionDto } from '../movements/dto/transaction.dto.js';
import { respond } from '../movements/movements.controller.js';
import { ConversionDto } from './dto/conversion.dto.js';
import { ConversionsService } from './conversions.service.js';

@ApiTags('fx')
@ApiKeyAuth()
@Controller('v1/conversions')
export class ConversionsController {
  constructor(private readonly conversions: ConversionsService) {}

  @MoneyPost({
    type: TransactionDto,
    summary: 'Convert money from a wallet in one currency to a wallet in another, at an FX quote',
    description:
      "Posts one transaction of type conversion with four entries: the quote's amount leaves fromWalletId and reaches the account " +
      'fx:<FROM>, and its convertedAmount leaves fx:<TO> and reaches toWalletId, so each currency sums to zero on its own. Under the ' +
      'same locks, funds check (available ≥ amount − overdraftLimit) and idempotency as every move. A quote is used at most once: a ' +
      'second conversion with it → 409 QUOTE_USED, even when sent at once. Unknown quote → 404 QUOTE_NOT_FOUND; at or after its ' +
      'expiresAt → 422 QUOTE_EXPIRED; wallets whose currencies are not the quote\'s → 422 CURRENCY_MISMATCH. A conversion is not ' +
      'refunded (422 TRANSACTION_NOT_REFUNDABLE): convert back with a quote the other way. Send an Idempotency-Key to make retries safe.',
  })
  async convert(
    @Tenant() tenantId: string,
    @Body() body: ConversionDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    if (body.fromWalletId.toLowerCase() === body.toWalletId.toLowerCase()) {
      throw new DomainError('SAME_WALLET', `A conversion needs two different wallets; both are ${body.fromWalletId}.`);
    }
    return respond(response, await this.conversions.convert(tenantId, body, idempotency));
  }
}
