import { Body, Controller, Get, Param, Query, Res } from '@nestjs/common';
import { Tenant } from '../../auth/tenant.decorator.js';
import { ApiBody, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { validationFailed } from '../../common/errors/domain-error.js';
import { ApiKeyAuth } from '../../auth/api-key-auth.decorator.js';
import { ApiProblemResponses } from '../../common/http/api-problem-responses.js';
import { markReplayed } from '../../common/http/idempotency-header.js';
import { uuidParam } from '../../common/http/uuid-param.js';
import { Idempotency, IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { MoneyPost } from '../money-post.decorator.js';
import { TransactionDto } from '../movements/dto/transaction.dto.js';
import { CaptureHoldDto } from './dto/capture-hold.dto.js';
import { CreateHoldDto } from './dto/create-hold.dto.js';
import { HoldDto, HoldPageDto } from './dto/hold.dto.js';
import { HoldsQuery } from './dto/holds.query.js';
import { HoldsService } from './holds.service.js';

/** Void takes no fields; sending some is a mistake worth a 400, not something to ignore. */
function assertNoBody(body: unknown): void {
  if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return;
  const fields = typeof body === 'object' ? Object.keys(body) : ['body'];
  const errors = fields.map((field) => ({ field, message: 'should not exist' }));
  throw validationFailed(`A void takes no body: ${fields.map((f) => `property ${f} should not exist`).join('; ')}`, errors);
}

@ApiTags('holds')
@ApiKeyAuth()
@Controller('v1')
export class HoldsController {
  constructor(private readonly holds: HoldsService) {}

  @MoneyPost({
    path: 'holds',
    type: HoldDto,
    summary: 'Reserve money on a wallet for an order',
    description:
      'Lowers available and raises held; the balance does not change until the hold is captured. ' +
      'With expiresInSeconds the hold releases its money by itself when due. It counts against the wallet\'s dailyDebit and ' +
      'monthlyDebit limits from now on (422 LIMIT_EXCEEDED when it would pass one).',
  })
  async place(
    @Tenant() tenantId: string,
    @Body() body: CreateHoldDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<HoldDto> {
    const placed = await this.holds.place(tenantId, body, idempotency);
    markReplayed(response, placed.replayed);
    return placed.hold;
  }

  @Get('holds/:id')
  @ApiOperation({ summary: 'Get a hold', description: 'From expiresAt on, an unreleased hold reads expired and no longer counts.' })
  @ApiOkResponse({ type: HoldDto })
  @ApiProblemResponses(400, 404)
  get(@Tenant() tenantId: string, @Param('id', uuidParam('id')) id: string): Promise<HoldDto> {
    return this.holds.get(tenantId, id);
  }

  @Get('wallets/:id/holds')
  @ApiOperation({
    summary: "A wallet's holds, newest first, a page at a time",
    description: 'Optionally of one `status`; pass `nextCursor` as `cursor` for the next page (null on the last).',
  })
  @ApiOkResponse({ type: HoldPageDto })
  @ApiProblemResponses(400, 404)
  list(@Tenant() tenantId: string, @Param('id', uuidParam('id')) walletId: string, @Query() query: HoldsQuery): Promise<HoldPageDto> {
    return this.holds.listByWallet(tenantId, walletId, query);
  }

  @MoneyPost({
    path: 'holds/:id/capture',
    type: TransactionDto,
    summary: "Capture a hold, in whole or in part, to a seller's wallet or the revenue account",
    description:
      'Takes the captured amount from the balance and releases the whole hold; what is not captured becomes available again. ' +
      'A hold is captured at most once: a second capture, or one of a voided or expired hold, is 409 HOLD_NOT_ACTIVE. ' +
      'The paying wallet\'s debit limits counted the hold when it was placed: the capture counts what it captured and gives ' +
      'the rest back, and is never refused by them; the receiving wallet\'s maxBalance applies (422 LIMIT_EXCEEDED).',
  })
  async capture(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) holdId: string,
    @Body() body: CaptureHoldDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<TransactionDto> {
    const posted = await this.holds.capture(tenantId, holdId, body, idempotency);
    markReplayed(response, posted.replayed);
    return posted.transaction;
  }

  @MoneyPost({
    path: 'holds/:id/void',
    status: 200,
    type: HoldDto,
    summary: 'Release a hold without moving money',
    description: 'The held amount becomes available again. A hold that is not active answers 409 HOLD_NOT_ACTIVE.',
  })
  @ApiBody({ required: false, description: 'No fields: send no body or {}', schema: { type: 'object', maxProperties: 0 } })
  async void(
    @Tenant() tenantId: string,
    @Param('id', uuidParam('id')) holdId: string,
    @Body() body: unknown,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<HoldDto> {
    assertNoBody(body);
    const voided = await this.holds.void(tenantId, holdId, idempotency);
    markReplayed(response, voided.replayed);
    return voided.hold;
  }
}
