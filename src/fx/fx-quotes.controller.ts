import { Body, Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { validationFailed } from '../common/errors/domain-error.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { ApiIdempotencyKey, markReplayed } from '../common/http/idempotency-header.js';
import { uuidParam } from '../common/http/uuid-param.js';
import { Idempotency, type IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import { CreateFxQuoteDto, FxQuoteDto, MAX_QUOTE_SECONDS } from './dto/fx-quote.dto.js';
import { FxQuotesService } from './fx-quotes.service.js';

@ApiTags('fx')
@ApiKeyAuth()
@Controller('v1/fx-quotes')
export class FxQuotesController {
  constructor(private readonly quotes: FxQuotesService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Quote a conversion between two currencies, valid for a time',
    description:
      "Fixes what `amount` of fromCurrency converts into at the tenant's current rate: `convertedAmount` = amount × rate in " +
      "toCurrency's minor units (each currency with its ISO 4217 exponent), rounded down, computed exactly. Use it once, before " +
      `\`expiresAt\` (default 30 s, at most ${MAX_QUOTE_SECONDS}), with POST /v1/conversions. No rate for the pair → 422 ` +
      'RATE_UNAVAILABLE; an amount that converts to 0 or past 2^53 − 1 minor units → 422 AMOUNT_NOT_CONVERTIBLE (the detail ' +
      'names the amounts that do); fromCurrency = toCurrency → 400.',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: FxQuoteDto })
  // 409: IDEMPOTENCY_IN_PROGRESS, while a request with the same key still runs
  @ApiProblemResponses(400, 409, 413, 415, 422)
  async create(
    @Tenant() tenantId: string,
    @Body() body: CreateFxQuoteDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<FxQuoteDto> {
    if (body.fromCurrency === body.toCurrency) {
      throw validationFailed('toCurrency must differ from fromCurrency: nothing to convert.', [{ field: 'toCurrency', message: 'must differ from fromCurrency' }]);
    }
    const result = await this.quotes.create(tenantId, body, idempotency);
    markReplayed(response, result.replayed);
    response.status(result.status);
    return result.body;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an FX quote', description: 'With its status now: active, used (by transactionId) or expired.' })
  @ApiOkResponse({ type: FxQuoteDto })
  @ApiProblemResponses(400, 404)
  get(@Tenant() tenantId: string, @Param('id', uuidParam('id')) id: string): Promise<FxQuoteDto> {
    return this.quotes.get(tenantId, id);
  }
}
