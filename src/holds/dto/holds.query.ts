import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import type { HoldStatus } from '../hold.entity.js';
import { HOLD_STATUSES } from './hold.dto.js';

export class HoldsQuery {
  @ApiPropertyOptional({ enum: HOLD_STATUSES, description: 'Only holds in this status (as read now: a due hold is expired)' })
  @IsOptional()
  @IsIn(HOLD_STATUSES)
  status?: HoldStatus;

  @ApiPropertyOptional({ type: 'integer', minimum: 1, maximum: 100, default: 20 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  limit: number = 20;

  @ApiPropertyOptional({ description: "The previous page's nextCursor", maxLength: 200 })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
}
