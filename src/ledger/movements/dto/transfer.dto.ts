import { ApiProperty } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { IsAmountMinor } from '../../../common/money/amount.js';
import { MovementDetailsDto } from './movement.dto.js';

export class TransferDto extends MovementDetailsDto {
  @ApiProperty({ format: 'uuid', description: 'The wallet that pays' })
  @IsUUID('all')
  fromWalletId: string;

  @ApiProperty({ format: 'uuid', description: 'The wallet that receives' })
  @IsUUID('all')
  toWalletId: string;

  @IsAmountMinor()
  amount: number;
}
