import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { MovementDetailsDto } from '../../movements/dto/movement.dto.js';

/** Body of POST /v1/conversions. */
export class ConversionDto extends MovementDetailsDto {
  @ApiProperty({ format: 'uuid', description: 'The FX quote to convert at (POST /v1/fx-quotes): its amounts are what moves' })
  @IsUUID('all')
  quoteId: string;

  @ApiProperty({ format: 'uuid', description: "The wallet that pays the quote's amount, in its fromCurrency" })
  @IsUUID('all')
  fromWalletId: string;

  @ApiProperty({ format: 'uuid', description: "The wallet that receives the quote's convertedAmount, in its toCurrency (the same owner or another)" })
  @IsUUID('all')
  toWalletId: string;
}
