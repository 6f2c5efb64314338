import { ApiPropertyOptional } from '@nestjs/swagger';
import { PageQuery } from '../../../common/pagination/page.query.js';
import { IsIn, IsOptional } from 'class-validator';
import type { HoldStatus } from '../../model/hold.entity.js';
import { HOLD_STATUSES } from './hold.dto.js';

export class HoldsQuery extends PageQuery {
  @ApiPropertyOptional({ enum: HOLD_STATUSES, description: 'Only holds in this status (as read now: a due hold is expired)' })
  @IsOptional()
  @IsIn(HOLD_STATUSES)
  status?: HoldStatus;
}
