import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { Response } from 'express';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator.js';
import { Tenant } from '../auth/tenant.decorator.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { ApiIdempotencyKey, IDEMPOTENCY_REPLAYED_HEADER } from '../common/http/idempotency-header.js';
import { uuidParam } from '../common/http/uuid-param.js';
import { PageQuery } from '../common/pagination/page.query.js';
import { Idempotency, type IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import {
  CreateWebhookEndpointDto,
  ResendDto,
  ResendResultDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveryPageDto,
  WebhookEndpointDto,
  WebhookEndpointListDto,
} from './dto/webhook-endpoint.dto.js';
import { WebhookEndpointsService } from './webhook-endpoints.service.js';

export class DeliveriesQuery extends PageQuery {
  @ApiPropertyOptional({ enum: ['pending', 'delivered', 'failed'], description: 'Only deliveries in this status' })
  @IsOptional()
  @IsIn(['pending', 'delivered', 'failed'])
  status?: 'pending' | 'delivered' | 'failed';
}

const id = () => Param('id', uuidParam('id'));

@ApiTags('webhooks')
@ApiKeyAuth()
@Controller('v1/webhook-endpoints')
export class WebhookEndpointsController {
  constructor(private readonly endpoints: WebhookEndpointsService) {}

  @Post()
  @HttpCode(201)
  @ApiOperation({
    summary: 'Register a URL to receive events',
    description:
      'Every event of the tenant whose type is in eventTypes (all when empty) that commits while the endpoint is enabled is POSTed ' +
      'to the url, signed by the Standard Webhooks scheme (webhook-id, webhook-timestamp, webhook-signature) with the secret ' +
      'answered here once. Any 2xx within 10 s (WEBHOOK_TIMEOUT_MS) is a delivery; anything else is retried with exponential ' +
      'backoff and jitter, for at least 24 hours by default (WEBHOOK_RETRY_FOR_MS).',
  })
  @ApiIdempotencyKey()
  @ApiCreatedResponse({ type: WebhookEndpointDto, description: 'The endpoint, with its secret (shown only here)' })
  @ApiProblemResponses(400, 409, 413, 415, 422)
  async create(
    @Tenant() tenantId: string,
    @Body() body: CreateWebhookEndpointDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<WebhookEndpointDto> {
    const result = await this.endpoints.create(tenantId, body, idempotency);
    if (result.replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    response.status(result.status);
    return result.body;
  }

  @Get()
  @ApiOperation({ summary: "List the tenant's webhook endpoints", description: 'Oldest first, at most the first 1000; secrets are not shown.' })
  @ApiOkResponse({ type: WebhookEndpointListDto })
  async list(@Tenant() tenantId: string): Promise<WebhookEndpointListDto> {
    return { data: await this.endpoints.list(tenantId) };
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a webhook endpoint', description: 'Its url, event types, status and description; the secret is not shown.' })
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiProblemResponses(400, 404)
  get(@Tenant() tenantId: string, @id() endpointId: string): Promise<WebhookEndpointDto> {
    return this.endpoints.get(tenantId, endpointId);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Change, disable or enable a webhook endpoint',
    description: 'Only the fields sent change. Disabled, it gets no deliveries; enabled again, it gets the events that commit from then on.',
  })
  @ApiOkResponse({ type: WebhookEndpointDto })
  @ApiProblemResponses(400, 404, 413, 415)
  update(@Tenant() tenantId: string, @id() endpointId: string, @Body() body: UpdateWebhookEndpointDto): Promise<WebhookEndpointDto> {
    return this.endpoints.update(tenantId, endpointId, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete a webhook endpoint', description: 'With its deliveries and their attempts; nothing more is sent to it.' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiProblemResponses(400, 404)
  async remove(@Tenant() tenantId: string, @id() endpointId: string): Promise<void> {
    await this.endpoints.remove(tenantId, endpointId);
  }

  @Get(':id/deliveries')
  @ApiOperation({
    summary: "An endpoint's deliveries and their attempts",
    description:
      'Newest event first, optionally of one `status`; each delivery with its status and its attempts (the latest 100: start, ' +
      'duration, HTTP status, error). Pass `nextCursor` as `cursor` for the next page (null on the last).',
  })
  @ApiOkResponse({ type: WebhookDeliveryPageDto })
  @ApiProblemResponses(400, 404)
  deliveries(@Tenant() tenantId: string, @id() endpointId: string, @Query() query: DeliveriesQuery): Promise<WebhookDeliveryPageDto> {
    return this.endpoints.deliveries(tenantId, endpointId, query);
  }

  @Post(':id/resend')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Send an endpoint its events again, from a sequence on',
    description:
      'What it missed — while disabled, after its retries ran out, or lost on its side — is sent again (same webhook-id, ' +
      'same body), delivered or not, as a fresh delivery retried for the whole window.',
  })
  @ApiIdempotencyKey()
  @ApiOkResponse({ type: ResendResultDto })
  @ApiProblemResponses(400, 404, 409, 413, 415, 422)
  async resend(
    @Tenant() tenantId: string,
    @id() endpointId: string,
    @Body() body: ResendDto,
    @Idempotency() idempotency: IdempotencyContext | null,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ResendResultDto> {
    const result = await this.endpoints.resend(tenantId, endpointId, body.after, idempotency);
    if (result.replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
    return result.body;
  }
}
