import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { EventPageDto } from './dto/event.dto.js';
import { EventsQuery } from './dto/events.query.js';
import { EVENT_SCAN_LIMIT, EventsService } from './events.service.js';

@ApiTags('events')
@ApiKeyAuth()
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @ApiOperation({
    summary: "Read the tenant's event feed in commit order",
    description:
      'Every change of state (wallet.created, wallet.updated, transaction.posted, hold.created, hold.captured, hold.voided, ' +
      'hold.expired), in ascending `sequence`: sequences increase in the order their changes committed, so a reader that ' +
      'pages with `after` = the last sequence it saw never misses one, even an event whose transaction began earlier and ' +
      'committed later. Follow `nextCursor` while it is not null; then poll again later with `after`. With `type` or ' +
      `\`walletId\`, a page looks at most at ${EVENT_SCAN_LIMIT} events past its start, so it may hold fewer than \`limit\` and still ` +
      'carry a nextCursor.',
  })
  @ApiOkResponse({ type: EventPageDto })
  @ApiProblemResponses(400)
  page(@Tenant() tenantId: string, @Query() query: EventsQuery): Promise<EventPageDto> {
    return this.events.page(tenantId, query);
  }
}
