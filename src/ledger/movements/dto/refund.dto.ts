import { IsAmountMinor } from '../../../common/money/amount.js';
import { MovementDetailsDto } from './movement.dto.js';

/** Body of a refund: without an amount, all that is still refundable. Reference defaults to the original's. */
export class RefundDto extends MovementDetailsDto {
  @IsAmountMinor({ optional: true, description: 'Minor units to refund; default: all that is still refundable' })
  amount?: number;
}
