import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';
import { IsCurrencyCode } from '../../common/money/currency.js';

export class MonthlyReportQuery {
  @ApiProperty({ type: 'integer', minimum: 2000, maximum: 9999, example: 2026 })
  @Type(() => Number)
  @IsInt({ message: '$property must be an integer' })
  @Min(2000)
  @Max(9999)
  year: number;

  @ApiProperty({ type: 'integer', minimum: 1, maximum: 12, example: 11, description: 'Calendar month, 1–12, in UTC' })
  @Type(() => Number)
  @IsInt({ message: '$property must be an integer' })
  @Min(1)
  @Max(12)
  month: number;

  @IsCurrencyCode()
  currency: string;
}
