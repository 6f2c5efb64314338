import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsUUID, Max, Min } from 'class-validator';
import { PageQuery } from '../../common/pagination/page.query.js';
import { EVENT_TYPES, type EventType } from '../event-types.js';

export class EventsQuery extends PageQuery {
  @ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0,
    description: 'Only events with a greater sequence: the last sequence you have seen (0 or absent: from the start). Not with `cursor`.',
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after?: number;

  @ApiPropertyOptional({ enum: EVENT_TYPES, description: 'Only events of this type' })
  @IsOptional()
  @IsIn(EVENT_TYPES)
  type?: EventType;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only events about this wallet' })
  @IsOptional()
  @IsUUID()
  walletId?: string;
}
