import { Body, Controller, Get, Param, Query, Res } from '@nestjs/common';
import { Tenant } from '../../auth/tenant.decorator.js';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator.js';
import { ApiProblemResponses } from '../../common/http/api-problem-responses.js';
import { IDEMPOTENCY_REPLAYED_HEADER } from '../../common/http/idempotency-header.js';
import { uuidParam } from '../../common/http/uuid-param.js';
import { Idempotency, IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { MoneyPost } from '../money-post.decorator.js';
import { HistoryQuery } from './dto/history.query.js';
import { MovementDto } from './dto/movement.dto.js';
import { TransactionDto, TransactionPageDto } from './dto/transaction.dto.js';
import { RefundDto } from './dto/refund.dto.js';
import { TransferDto } from './dto/transfer.dto.js';
import { LedgerReadsService } from './ledger-reads.service.js';
import { PostedTransaction, PostingService, sameWalletRefusal } from './posting.service.js';

export function respond(response: Response, posted: PostedTransaction): TransactionDto {
  if (posted.replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
  return posted.transaction;
}

@ApiTags('transactions')
@ApiKeyAuth()
@Controller('v1')
export class MovementsController {
  constructor(
    private readonly posting: PostingService,
    private readonly reads: LedgerReadsService,
  ) {}

  @MoneyPost({
    path: 'wallets/:id/deposits',
    type: TransactionDto,
    summary: 'Top up a wallet with money from outside (card, bank transfer)',
    description:
      'Posts the amount to the wallet against the account world:<CUR>; refused with 422 LIMIT_EXCEEDED past the wallet\'s ' +
      'maxBalance. Send an Idempotency-Key to make retries safe.',
  })
  async deposit(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) walletId: string,
    @Body() body: MovementDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    const { amount, ...details } = body;
    const posted = await this.posting.post(tenantId, { type: 'deposit', debitWalletId: null, creditWalletId: walletId, amountMinor: amount, ...details }, idempotency);
    return respond(response, posted);
  }

  @MoneyPost({
    path: 'wallets/:id/withdrawals',
    type: TransactionDto,
    summary: 'Pay money out of a wallet to the outside world',
    description:
      'Refused with 422 INSUFFICIENT_FUNDS when available would go below −overdraftLimit, and with 422 LIMIT_EXCEEDED when it ' +
      'would pass the wallet\'s dailyDebit or monthlyDebit limit. Send an Idempotency-Key to make retries safe.',
  })
  async withdraw(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) walletId: string,
    @Body() body: MovementDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    const { amount, ...details } = body;
    const posted = await this.posting.post(tenantId, { type: 'withdrawal', debitWalletId: walletId, creditWalletId: null, amountMinor: amount, ...details }, idempotency);
    return respond(response, posted);
  }

  @MoneyPost({
    path: 'transfers',
    type: TransactionDto,
    summary: 'Move money from one wallet to another of the same currency',
    description:
      'Posts as one double-entry transaction: both sides or neither. Counts against the paying wallet\'s debit limits and the ' +
      'receiving wallet\'s maxBalance (422 LIMIT_EXCEEDED). Send an Idempotency-Key to make retries safe.',
  })
  async transfer(
    @Tenant() tenantId: string,
    @Body() body: TransferDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    const { fromWalletId, toWalletId, amount, ...details } = body;
    if (fromWalletId.toLowerCase() === toWalletId.toLowerCase()) throw sameWalletRefusal(fromWalletId);
    const posted = await this.posting.post(tenantId, { type: 'transfer', debitWalletId: fromWalletId, creditWalletId: toWalletId, amountMinor: amount, ...details }, idempotency);
    return respond(response, posted);
  }

  @MoneyPost({
    path: 'transactions/:id/refunds',
    type: TransactionDto,
    summary: 'Refund a deposit, transfer or capture, in whole or in part',
    description:
      'Moves money back from whoever received it to whoever paid: for a deposit, from the wallet to the outside world; ' +
      'for a capture to revenue, from the revenue account. Several partial refunds may follow one another; together they ' +
      'never exceed the original amount (422 AMOUNT_EXCEEDS_REFUNDABLE), even when sent at once. The paying side needs the funds, ' +
      'and the refund counts against its dailyDebit and monthlyDebit limits; the receiving side\'s maxBalance applies (422 LIMIT_EXCEEDED).',
  })
  async refund(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) originalId: string,
    @Body() body: RefundDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    const { amount, ...details } = body;
    return respond(response, await this.posting.refund(tenantId, { originalId, amountMinor: amount, ...details }, idempotency));
  }

  @Get('transactions/:id')
  @ApiOperation({ summary: 'Get a transaction with its entries', description: 'The entries are signed and sum to zero.' })
  @ApiOkResponse({ type: TransactionDto })
  @ApiProblemResponses(400, 404)
  getTransaction(@Tenant() tenantId: string, @Param('id', uuidParam('id')) id: string): Promise<TransactionDto> {
    return this.reads.getTransaction(tenantId, id);
  }

  @Get('wallets/:id/transactions')
  @ApiOperation({
    summary: "A wallet's transactions, a page at a time",
    description: 'Up to `limit` transactions; pass `nextCursor` as `cursor` for the next page (null on the last).',
  })
  @ApiOkResponse({ type: TransactionPageDto })
  @ApiProblemResponses(400, 404)
  history(@Tenant() tenantId: string, @Param('id', uuidParam('id')) walletId: string, @Query() query: HistoryQuery): Promise<TransactionPageDto> {
    return this.reads.history(tenantId, walletId, query);
  }
}
