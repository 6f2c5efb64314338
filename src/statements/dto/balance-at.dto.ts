import { ApiProperty } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR } from '../../common/money/amount.js';

const money = (description: string, example: number, minimum = -MAX_AMOUNT_MINOR) =>
  ApiProperty({ type: 'integer', format: 'int64', minimum, maximum: MAX_AMOUNT_MINOR, description, example });

export class BalanceAtDto {
  @ApiProperty({ format: 'uuid', example: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10' })
  walletId: string;

  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' })
  currency: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-15T12:00:00.000Z' })
  at: string;

  @money('Posted balance at that moment: the running balance of the last entry stamped at or before it (0 before the first)', 12500)
  balance: number;

  @money('Sum of the holds that counted at that moment: placed at or before it, not yet captured, voided or expired', 2000, 0)
  held: number;

  @money('balance − held', 10500)
  available: number;
}
