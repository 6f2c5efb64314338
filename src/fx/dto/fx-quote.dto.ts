import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { IsAmountMinor, MAX_AMOUNT_MINOR } from '../../common/money/amount.js';
import { IsCurrencyCode } from '../../common/money/currency.js';
import { RATE_MAX_LENGTH, RATE_PATTERN } from '../../common/money/fx-rate.js';
import { OptionalField } from '../../common/validation/optional.js';

export const DEFAULT_QUOTE_SECONDS = 30;
export const MAX_QUOTE_SECONDS = 600;

/** Body of POST /v1/fx-quotes. */
export class CreateFxQuoteDto {
  @IsCurrencyCode()
  fromCurrency: string;

  @IsCurrencyCode()
  toCurrency: string;

  @IsAmountMinor({ description: 'Minor units of fromCurrency to convert: a safe integer ≥ 1.' })
  amount: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_QUOTE_SECONDS,
    default: DEFAULT_QUOTE_SECONDS,
    example: DEFAULT_QUOTE_SECONDS,
    description: `Seconds the quote can be used for (default ${DEFAULT_QUOTE_SECONDS}, at most ${MAX_QUOTE_SECONDS}).`,
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_QUOTE_SECONDS)
  expiresInSeconds?: number;
}

export type FxQuoteStatus = 'active' | 'used' | 'expired';

export class FxQuoteDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' }) fromCurrency: string;
  @ApiProperty({ example: 'USD', pattern: '^[A-Z]{3}$' }) toCurrency: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 2500, description: 'Minor units of fromCurrency' })
  amount: number;
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 2710,
    description:
      'amount × rate in minor units of toCurrency, each currency with its own ISO 4217 exponent (JPY 0, EUR 2, KWD 3), ' +
      'rounded down; computed exactly, with no binary floating point',
  })
  convertedAmount: number;
  @ApiProperty({ type: 'string', pattern: RATE_PATTERN, maxLength: RATE_MAX_LENGTH, example: '1.0842', description: 'Major units of toCurrency per major unit of fromCurrency' })
  rate: string;
  @ApiProperty({ format: 'date-time', description: 'The quote can be used before this moment; at it and after, a conversion answers 422 QUOTE_EXPIRED' })
  expiresAt: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    enum: ['active', 'used', 'expired'],
    description: 'active: can be used; used: a conversion used it (transactionId); expired: past expiresAt, unused. As of the answer: a creation always answers active.',
  })
  status: FxQuoteStatus;
  @ApiPropertyOptional({ format: 'uuid', description: 'The conversion that used the quote' }) transactionId?: string;
}
