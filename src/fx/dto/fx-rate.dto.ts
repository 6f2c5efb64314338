import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy } from 'class-validator';
import { parseRate, RATE_FRACTION_DIGITS, RATE_INTEGER_DIGITS, RATE_MAX_LENGTH, RATE_PATTERN } from '../../common/money/fx-rate.js';
import type { FxRate } from '../fx-rate-provider.js';

const RATE_DESCRIPTION =
  'How many major units of `toCurrency` one major unit of `fromCurrency` buys (EUR→USD 1.0842: one euro buys 1.0842 dollars), ' +
  `as a decimal string: greater than 0, at most ${RATE_INTEGER_DIGITS} digits before the point and ${RATE_FRACTION_DIGITS} after it, ` +
  'no sign or exponent. Never a JSON number: a binary float cannot hold most decimal rates exactly.';

/** A rate as a decimal string (see RATE_PATTERN), greater than zero. */
export function IsRate() {
  return applyDecorators(
    ApiProperty({ type: 'string', pattern: RATE_PATTERN, minLength: 1, maxLength: RATE_MAX_LENGTH, example: '1.0842', description: RATE_DESCRIPTION }),
    ValidateBy({
      name: 'isRate',
      validator: {
        validate: (value) => typeof value === 'string' && parseRate(value) !== null,
        defaultMessage: (args) =>
          `${args?.property} must be a decimal string greater than 0 with at most ${RATE_INTEGER_DIGITS} digits before the point ` +
          `and ${RATE_FRACTION_DIGITS} after it, e.g. "1.0842"`,
      },
    }),
  );
}

/** Body of PUT /v1/admin/fx-rates/{from}/{to}. */
export class SetFxRateDto {
  @IsRate()
  rate: string;
}

export class FxRateDto {
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' }) fromCurrency: string;
  @ApiProperty({ example: 'USD', pattern: '^[A-Z]{3}$' }) toCurrency: string;
  @ApiProperty({ type: 'string', pattern: RATE_PATTERN, maxLength: RATE_MAX_LENGTH, example: '1.0842', description: RATE_DESCRIPTION })
  rate: string;
  @ApiProperty({ format: 'date-time', description: 'When this rate was set' }) updatedAt: string;
}

/** At most one current rate per ordered pair of the currencies the service knows. */
export const MAX_RATE_PAIRS = 162 * 161;

export class FxRateListDto {
  @ApiProperty({ type: [FxRateDto], maxItems: MAX_RATE_PAIRS, description: "The tenant's current rate of every pair that has one, by fromCurrency, then toCurrency" })
  data: FxRateDto[];
}

export function toFxRateDto(rate: FxRate): FxRateDto {
  return { fromCurrency: rate.fromCurrency, toCurrency: rate.toCurrency, rate: rate.rate, updatedAt: rate.updatedAt.toISOString() };
}
