import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { IsAmountMinor } from '../../../common/money/amount.js';
import { OptionalField } from '../../../common/validation/optional.js';
import { MovementDetailsDto } from '../../movements/dto/movement.dto.js';

/** reference, description and metadata default to the hold's own. */
export class CaptureHoldDto extends MovementDetailsDto {
  @IsAmountMinor({ optional: true, description: 'Minor units to capture; default: the whole hold. The rest is released.' })
  amount?: number;

  @ApiPropertyOptional({ format: 'uuid', description: "The seller's wallet; default: the currency's revenue account" })
  @OptionalField()
  @IsUUID('all')
  toWalletId?: string;
}
