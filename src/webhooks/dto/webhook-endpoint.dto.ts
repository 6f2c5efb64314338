import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsIn, IsInt, IsString, IsUrl, Length, Max, MaxLength, Min } from 'class-validator';
import { OptionalField } from '../../common/validation/optional.js';
import { EVENT_TYPES, type EventType } from '../../events/event-types.js';

const URL_FIELD = {
  description:
    'Where events are POSTed: http or https. One that resolves to a loopback, private or link-local address is refused ' +
    '(400) unless the service runs with WEBHOOK_ALLOW_PRIVATE_URLS=true; the address is checked again at every delivery.',
  example: 'https://shop.example/webhooks/wallet',
  maxLength: 2048,
};
const EVENT_TYPES_FIELD = {
  enum: EVENT_TYPES,
  isArray: true,
  maxItems: EVENT_TYPES.length,
  uniqueItems: true,
  description: 'The event types to deliver; all of them when empty or absent',
};
/** An optional list of event types, each known and none twice; null refused (OptionalField). */
const OptionalEventTypes = () =>
  applyDecorators(
    ApiPropertyOptional(EVENT_TYPES_FIELD),
    OptionalField(),
    IsArray(),
    ArrayMaxSize(EVENT_TYPES.length),
    ArrayUnique(),
    IsIn(EVENT_TYPES, { each: true }),
  );
const isHttpUrl = () => IsUrl({ protocols: ['http', 'https'], require_protocol: true, require_tld: false, require_host: true }, { message: 'url must be an http or https URL' });

export class CreateWebhookEndpointDto {
  @ApiProperty(URL_FIELD)
  @IsString()
  @MaxLength(2048)
  @isHttpUrl()
  url: string;

  @OptionalEventTypes()
  eventTypes?: EventType[];

  @ApiPropertyOptional({ minLength: 1, maxLength: 500, example: 'Order service' })
  @OptionalField()
  @IsString()
  @Length(1, 500)
  description?: string;
}

export class UpdateWebhookEndpointDto {
  @ApiPropertyOptional(URL_FIELD)
  @OptionalField()
  @IsString()
  @MaxLength(2048)
  @isHttpUrl()
  url?: string;

  @OptionalEventTypes()
  eventTypes?: EventType[];

  @ApiPropertyOptional({
    enum: ['enabled', 'disabled'],
    description: 'A disabled endpoint gets no deliveries; events that commit while it is disabled are not sent to it (re-send them with POST …/resend).',
  })
  @OptionalField()
  @IsIn(['enabled', 'disabled'])
  status?: 'enabled' | 'disabled';

  @ApiPropertyOptional({ minLength: 1, maxLength: 500 })
  @OptionalField()
  @IsString()
  @Length(1, 500)
  description?: string;
}

export class ResendDto {
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 1040,
    description: `Re-send every event after this sequence (of the endpoint's types), delivered or not; at most ${10_000} per call`,
  })
  @IsInt()
  @Min(0)
  @Max(Number.MAX_SAFE_INTEGER)
  after: number;
}

export class ResendResultDto {
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 10_000, description: 'Deliveries scheduled' }) scheduled: number;
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, nullable: true,
    description: 'The last sequence scheduled (null when none was); call again with it as `after` when scheduled is 10000',
  })
  through: number | null;
}

export class WebhookEndpointDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'https://shop.example/webhooks/wallet', maxLength: 2048 }) url: string;
  @ApiProperty(EVENT_TYPES_FIELD) eventTypes: EventType[];
  @ApiProperty({ enum: ['enabled', 'disabled'] }) status: 'enabled' | 'disabled';
  @ApiPropertyOptional({ maxLength: 500 }) description?: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({
    pattern: '^whsec_[A-Za-z0-9+/=]+$', maxLength: 100,
    description: 'Only in the answer to the creation: the signing secret (Standard Webhooks). Store it; it is not shown again.',
  })
  secret?: string;
}

export class WebhookEndpointListDto {
  @ApiProperty({ type: [WebhookEndpointDto], maxItems: 1000 }) data: WebhookEndpointDto[];
}

export class WebhookAttemptDto {
  @ApiProperty({ type: 'integer', minimum: 1, maximum: 100_000 }) attempt: number;
  @ApiProperty({ format: 'date-time' }) startedAt: string;
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 600_000 }) durationMs: number;
  @ApiPropertyOptional({ type: 'integer', minimum: 100, maximum: 599, description: "The receiver's HTTP status, when it answered" }) statusCode?: number;
  @ApiPropertyOptional({ maxLength: 500, example: 'timed out after 10000 ms', description: 'Why the attempt failed' }) error?: string;
}

export class WebhookDeliveryDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid', description: 'The event (and webhook-id)' }) eventId: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER }) eventSequence: number;
  @ApiProperty({ enum: EVENT_TYPES }) eventType: EventType;
  @ApiProperty({ enum: ['pending', 'delivered', 'failed'], description: 'failed: retried for WEBHOOK_RETRY_FOR_MS without a 2xx' })
  status: 'pending' | 'delivered' | 'failed';
  @ApiProperty({ type: 'integer', minimum: 0, maximum: 100_000 }) attempts: number;
  @ApiPropertyOptional({ format: 'date-time', description: 'Pending: when the next attempt is due' }) nextAttemptAt?: string;
  @ApiPropertyOptional({ format: 'date-time' }) deliveredAt?: string;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: [WebhookAttemptDto], maxItems: 100, description: 'The latest attempts, oldest first' }) attemptLog: WebhookAttemptDto[];
}

export class WebhookDeliveryPageDto {
  @ApiProperty({ type: [WebhookDeliveryDto], maxItems: 100 }) data: WebhookDeliveryDto[];
  @ApiProperty({ type: 'string', nullable: true, maxLength: 200, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}
