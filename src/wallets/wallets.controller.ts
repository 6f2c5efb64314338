import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { Tenant } from '../auth/tenant.decorator.js';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { ApiIdempotencyKey, IDEMPOTENCY_REPLAYED_HEADER } from '../common/http/idempotency-header.js';
import { uuidParam } from '../common/http/uuid-param.js';
import { Idempotency, IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import { CreateWalletDto } from './dto/create-wallet.dto.js';
import { GetWalletQuery } from './dto/get-wallet.query.js';
import { ListWalletsQuery } from './dto/list-wallets.query.js';
import { UpdateWalletDto } from './dto/update-wallet.dto.js';
import { WalletDto, WalletListDto } from './dto/wallet.dto.js';
import { WalletsService } from './wallets.service.js';

@ApiTags('wallets')
@ApiKeyAuth()
@Controller('v1/wallets')
export class WalletsController {
  constructor(private readonly wallets: WalletsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Create a wallet for an owner in one currency',
    description: 'One wallet per owner and currency: a second one answers 409 WALLET_ALREADY_EXISTS. It starts active with a zero balance.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: WalletDto })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  async create(
    @Tenant() tenantId: string,
    @Body() body: CreateWalletDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<WalletDto> {
    const result = await this.wallets.create(tenantId, body, idempotency);
    if (result.replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    response.status(result.status);
    return result.body;
  }

  @Get()
  @ApiOperation({ summary: "List an owner's wallets", description: 'Every wallet of `ownerId` (one per currency), in `data`.' })
  @ApiOkResponse({ type: WalletListDto })
  @ApiProblemResponses(400)
  async list(@Tenant() tenantId: string, @Query() query: ListWalletsQuery): Promise<WalletListDto> {
    return { data: await this.wallets.listByOwner(tenantId, query.ownerId) };
  }

  @Get(':id')
  @ApiOperation({
    summary: 'Get a wallet with its balance, held and available amounts',
    description:
      'available = balance − held; amounts in minor units of the wallet currency. With `displayCurrency`, also `display`: the ' +
      "balance and available amount in that currency at the tenant's current rate, each rounded down, marked `estimate: true` " +
      '(422 RATE_UNAVAILABLE without a rate; 422 AMOUNT_NOT_CONVERTIBLE when an amount would pass 2^53 − 1 minor units).',
  })
  @ApiOkResponse({ type: WalletDto })
  @ApiProblemResponses(400, 404, 422)
  get(@Tenant() tenantId: string, @Param('id', uuidParam('id')) id: string, @Query() query: GetWalletQuery): Promise<WalletDto> {
    return this.wallets.get(tenantId, id, query.displayCurrency);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Freeze, unfreeze or close a wallet; change its overdraft limit, limits or metadata',
    description:
      'Only the fields sent change, and in `limits` only the limits sent (null removes one). A frozen or closed wallet refuses ' +
      'money movements (422 WALLET_NOT_ACTIVE). A limit lowered below what is already used moves nothing; later moves it does ' +
      'not allow are refused with 422 LIMIT_EXCEEDED until the period resets.',
  })
  @ApiOkResponse({ type: WalletDto })
  @ApiProblemResponses(400, 404, 413, 415, 422)
  update(@Tenant() tenantId: string, @Param('id', uuidParam('id')) id: string, @Body() body: UpdateWalletDto): Promise<WalletDto> {
    return this.wallets.update(tenantId, id, body);
  }
}
