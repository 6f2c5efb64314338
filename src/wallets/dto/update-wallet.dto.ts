import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, Max, Min } from 'class-validator';
import { OptionalField } from '../../common/validation/optional.js';
import { MAX_AMOUNT_MINOR } from '../../common/money/amount.js';
import { type Metadata, OptionalMetadata } from '../../common/validation/metadata.js';
import type { WalletStatus } from '../wallet.entity.js';
import { OptionalLimits, WalletLimitsInput } from './wallet-limits.dto.js';

export class UpdateWalletDto {
  @ApiPropertyOptional({
    enum: ['active', 'frozen', 'closed'],
    description: 'A frozen wallet moves no money until it is active again; closing is final and needs an empty wallet.',
  })
  @OptionalField()
  @IsIn(['active', 'frozen', 'closed'])
  status?: WalletStatus;

  @ApiPropertyOptional({ type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 5000 })
  @OptionalField()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT_MINOR)
  overdraftLimit?: number;

  @OptionalLimits(
    'Changes only the limits sent; null removes one. Lowering a limit below what is already used moves nothing: later moves are refused (422 LIMIT_EXCEEDED) until the period resets.',
  )
  limits?: WalletLimitsInput;

  /** Replaces the wallet's metadata as a whole. */
  @OptionalMetadata()
  metadata?: Metadata;
}
