import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsString, Length, Max, Min } from 'class-validator';
import { OptionalField } from '../../common/validation/optional.js';
import { MAX_AMOUNT_MINOR } from '../../common/money/amount.js';
import { IsCurrencyCode } from '../../common/money/currency.js';
import { type Metadata, OptionalMetadata } from '../../common/validation/metadata.js';
import { OptionalLimits, WalletLimitsInput } from './wallet-limits.dto.js';

export class CreateWalletDto {
  @ApiProperty({ description: "The caller's own user id (opaque)", example: 'user_8412', minLength: 1, maxLength: 128 })
  @IsString()
  @Length(1, 128)
  ownerId: string;

  @IsCurrencyCode()
  currency: string;

  @ApiPropertyOptional({
    description: 'How far below zero `available` may go, in minor units (default 0).',
    type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 0,
  })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT_MINOR)
  overdraftLimit?: number;

  @OptionalLimits('Spending and balance limits (default none: `{}`); a null limit is none.')
  limits?: WalletLimitsInput;

  @OptionalMetadata()
  metadata?: Metadata;
}
