import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '../../../common/pagination/page.query.js';
import { IsIn, IsISO8601, IsOptional } from 'class-validator';
import type { TransactionType } from '../../model/transaction.entity.js';

export const TRANSACTION_TYPES: TransactionType[] = ['deposit', 'withdrawal', 'transfer', 'capture', 'refund', 'conversion'];

export class HistoryQuery extends PageQuery {
  @ApiPropertyOptional({ enum: TRANSACTION_TYPES })
  @IsOptional()
  @IsIn(TRANSACTION_TYPES)
  type?: TransactionType;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only transactions at or after this moment (ISO 8601; a bare date or a time without an offset is UTC)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only transactions before this moment (ISO 8601; a bare date or a time without an offset is UTC)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  to?: string;

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc', description: 'By time of posting' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';
}
