import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString } from 'class-validator';
import { CURRENCY_CODES } from '../../common/money/currency.js';

export class GetWalletQuery {
  @ApiPropertyOptional({
    description: "Also show the balance and available amount in this currency, at the tenant's current rate (`display`): an estimate, rounded down",
    example: 'USD',
    pattern: '^[A-Z]{3}$',
    minLength: 3,
    maxLength: 3,
  })
  @IsOptional()
  @IsString()
  @IsIn(CURRENCY_CODES, { message: '$property must be a known ISO 4217 code in upper case' })
  displayCurrency?: string;
}
