import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Length } from 'class-validator';
import { IsAmountMinor } from '../../../common/money/amount.js';
import { type Metadata, OptionalMetadata } from '../../../common/validation/metadata.js';

/** The fields every money movement shares. */
export class MovementDetailsDto {
  @ApiPropertyOptional({ description: 'Your reference, e.g. an order or payout id', example: 'order-1042', minLength: 1, maxLength: 255 })
  @IsOptional()
  @IsString()
  @Length(1, 255)
  reference?: string;

  @ApiPropertyOptional({ description: 'Free text shown in statements', example: 'Top-up by card', minLength: 1, maxLength: 1000 })
  @IsOptional()
  @IsString()
  @Length(1, 1000)
  description?: string;

  @OptionalMetadata()
  metadata?: Metadata;
}

/** Body of a deposit or a withdrawal. */
export class MovementDto extends MovementDetailsDto {
  @IsAmountMinor()
  amount: number;
}
