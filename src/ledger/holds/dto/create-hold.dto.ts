import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsUUID, Max, Min } from 'class-validator';
import { IsAmountMinor } from '../../../common/money/amount.js';
import { OptionalField } from '../../../common/validation/optional.js';
import { MovementDetailsDto } from '../../movements/dto/movement.dto.js';

/** The longest a hold may reserve money: 30 days, as long as card networks keep an authorisation. */
export const MAX_HOLD_SECONDS = 30 * 24 * 60 * 60;

export class CreateHoldDto extends MovementDetailsDto {
  @ApiProperty({ format: 'uuid', description: 'The wallet to reserve money on' })
  @IsUUID('all')
  walletId: string;

  @IsAmountMinor({ description: 'Minor units to reserve' })
  amount: number;

  @ApiPropertyOptional({
    type: 'integer',
    minimum: 1,
    maximum: MAX_HOLD_SECONDS,
    example: 900,
    description: `Seconds until the hold expires and releases its money by itself (at most ${MAX_HOLD_SECONDS}, 30 days). Without it the hold lasts until captured or voided.`,
  })
  @OptionalField()
  @IsInt()
  @Min(1)
  @Max(MAX_HOLD_SECONDS)
  expiresInSeconds?: number;
}
