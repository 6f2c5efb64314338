import { Body, Controller, Get, HttpCode, Param, Put, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { type AuthenticatedRequest, RequireScope } from '../auth/api-key.guard.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { Clock } from '../common/clock/clock.js';
import { validationFailed } from '../common/errors/domain-error.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { currencyParam } from '../common/http/currency-param.js';
import { parseRate, rateText } from '../common/money/fx-rate.js';
import { minorUnitExponent } from '../common/money/minor-units.js';
import { FxRateDto, FxRateListDto, SetFxRateDto, toFxRateDto } from './dto/fx-rate.dto.js';
import { OperatorFxRateProvider } from './operator-fx-rate-provider.js';

/**
 * The operator's exchange rates (the built-in FxRateProvider): `admin` scope. Rates belong to the tenant of the
 * key that sets them, and quotes and displayed balances of that tenant use them.
 */
@ApiTags('admin')
@ApiKeyAuth()
@RequireScope('admin')
@Controller('v1/admin/fx-rates')
export class FxRatesController {
  constructor(
    private readonly rates: OperatorFxRateProvider,
    private readonly clock: Clock,
  ) {}

  @Put(':from/:to')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set the exchange rate of a currency pair',
    description:
      "Sets the rate of from → to for the key's tenant, from now on: quotes made after it and balances shown in `to` use it; " +
      'quotes made before keep theirs. Rates are directional and never inverted: set to → from as well to convert both ways. ' +
      'Every rate set is kept with its time (the newest is current). from = to, or a currency ISO 4217 gives no minor unit ' +
      '(XDR, XSU), answers 400.',
  })
  @ApiParam({ name: 'from', description: 'The currency converted from (ISO 4217, upper case)', example: 'EUR', schema: { type: 'string', pattern: '^[A-Z]{3}$' } })
  @ApiParam({ name: 'to', description: 'The currency converted to', example: 'USD', schema: { type: 'string', pattern: '^[A-Z]{3}$' } })
  @ApiOkResponse({ type: FxRateDto })
  @ApiProblemResponses(400, 413, 415)
  async set(
    @Tenant() tenantId: string,
    @Param('from', currencyParam('from')) from: string,
    @Param('to', currencyParam('to')) to: string,
    @Body() body: SetFxRateDto,
    @Req() request: AuthenticatedRequest,
  ): Promise<FxRateDto> {
    if (from === to) throw validationFailed('to must differ from from: a currency converts to itself at 1.', [{ field: 'to', message: 'must differ from from' }]);
    for (const [field, code] of [['from', from], ['to', to]] as const) {
      if (minorUnitExponent(code) === null) {
        throw validationFailed(`${field}: ISO 4217 gives ${code} no minor unit, so the service converts no amounts in it.`, [
          { field, message: 'has no ISO 4217 minor unit' },
        ]);
      }
    }
    const rate = rateText(parseRate(body.rate)!);
    return toFxRateDto(await this.rates.set(tenantId, from, to, rate, request.apiKeyName, this.clock.now()));
  }

  @Get()
  @ApiOperation({ summary: "The tenant's current exchange rates", description: 'The newest rate of every pair that has one, in `data`.' })
  @ApiOkResponse({ type: FxRateListDto })
  // 401, 403 and 503 come with @ApiKeyAuth(); the call takes no input, so there is no 400 to give.
  async list(@Tenant() tenantId: string): Promise<FxRateListDto> {
    return { data: (await this.rates.list(tenantId)).map(toFxRateDto) };
  }
}
