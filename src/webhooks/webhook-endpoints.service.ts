import { Inject, Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { DomainError, validationFailed } from '../common/errors/domain-error.js';
import { uuidv7 } from '../common/ids/uuid-v7.js';
import { minorUnitsFromDb } from '../common/money/amount.js';
import { CursorCodec } from '../common/pagination/cursor.js';
import type { PageQuery } from '../common/pagination/page.query.js';
import type { Environment } from '../config/environment.js';
import type { EventType } from '../events/event-types.js';
import type { IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import { IdempotencyStore, type StoredResponse } from '../idempotency/idempotency.store.js';
import type {
  CreateWebhookEndpointDto,
  ResendResultDto,
  UpdateWebhookEndpointDto,
  WebhookDeliveryDto,
  WebhookDeliveryPageDto,
  WebhookEndpointDto,
} from './dto/webhook-endpoint.dto.js';
import { assertDeliverableUrl, UnsafeUrlError } from './url-safety.js';
import { newWebhookSecret } from './webhook-sender.js';

/** At most this many events are (re)scheduled by one resend call. */
export const RESEND_MAX_EVENTS = 10_000;

interface EndpointRow {
  id: string;
  url: string;
  event_types: EventType[];
  status: 'enabled' | 'disabled';
  description: string | null;
  secret: string;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = 'id, url, event_types, status, description, secret, created_at, updated_at';
/** The tenant's last event so far: an endpoint (re-)enabled now gets the events that commit from here on. */
const CURRENT_SEQUENCE = `coalesce((SELECT last_sequence FROM event_counters WHERE tenant_id = $2), 0)`;

export const endpointNotFound = (id: string) => new DomainError('WEBHOOK_ENDPOINT_NOT_FOUND', `Webhook endpoint ${id} does not exist.`);

/** Webhook endpoints of a tenant: where its events are delivered (the delivering itself: webhook-dispatcher.ts). */
@Injectable()
export class WebhookEndpointsService {
  private readonly allowPrivateUrls: boolean;

  constructor(
    private readonly dataSource: DataSource,
    private readonly idempotency: IdempotencyStore,
    private readonly clock: Clock,
    @Inject(CursorCodec) private readonly cursors: CursorCodec,
    config: ConfigService<Environment, true>,
  ) {
    this.allowPrivateUrls = config.get('WEBHOOK_ALLOW_PRIVATE_URLS', { infer: true });
  }

  async create(tenantId: string, input: CreateWebhookEndpointDto, idempotency: IdempotencyContext | null): Promise<StoredResponse<WebhookEndpointDto>> {
    // Resolved before any transaction: DNS may take a while, and no row is locked meanwhile.
    await this.assertDeliverable(input.url);
    return this.idempotency.runOnce('webhook_endpoint_create', idempotency, async (manager) => {
      const now = this.clock.now();
      const [row]: EndpointRow[] = await manager.query(
        `INSERT INTO webhook_endpoints (id, tenant_id, url, event_types, status, description, secret, fanned_out_through, created_at, updated_at)
         VALUES ($1, $2, $3, $4, 'enabled', $5, $6, ${CURRENT_SEQUENCE}, $7, $7)
         RETURNING ${ENDPOINT_COLUMNS}`,
        [uuidv7(now.getTime()), tenantId, input.url, input.eventTypes ?? [], input.description ?? null, newWebhookSecret(), now],
      );
      return { status: 201, body: { ...toEndpointDto(row!), secret: row!.secret } };
    });
  }

  async list(tenantId: string): Promise<WebhookEndpointDto[]> {
    const rows: EndpointRow[] = await this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1000`,
      [tenantId],
    );
    return rows.map(toEndpointDto);
  }

  async get(tenantId: string, id: string): Promise<WebhookEndpointDto> {
    return toEndpointDto(await this.row(tenantId, id));
  }

  async update(tenantId: string, id: string, changes: UpdateWebhookEndpointDto): Promise<WebhookEndpointDto> {
    if (changes.url !== undefined) await this.assertDeliverable(changes.url);
    // Re-enabled: it starts again from the events committed from now on; what committed while it was
    // disabled is not sent (POST …/resend sends it on request).
    const [[row]]: [EndpointRow[], number] = await this.dataSource.query(
      `UPDATE webhook_endpoints SET url = coalesce($3, url), event_types = coalesce($4, event_types),
              description = coalesce($5, description), status = coalesce($6, status),
              fanned_out_through = CASE WHEN status = 'disabled' AND $6 = 'enabled' THEN greatest(fanned_out_through, ${CURRENT_SEQUENCE})
                                        ELSE fanned_out_through END,
              updated_at = $7
        WHERE id = $1 AND tenant_id = $2
       RETURNING ${ENDPOINT_COLUMNS}`,
      [id, tenantId, changes.url ?? null, changes.eventTypes ?? null, changes.description ?? null, changes.status ?? null, this.clock.now()],
    );
    if (!row) throw endpointNotFound(id);
    return toEndpointDto(row);
  }

  async remove(tenantId: string, id: string): Promise<void> {
    // Its deliveries and their attempts go with it (ON DELETE CASCADE).
    const [, deleted]: [unknown, number] = await this.dataSource.query(`DELETE FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2`, [id, tenantId]);
    if (deleted === 0) throw endpointNotFound(id);
  }

  /** The endpoint's deliveries, newest first, each with its latest attempts. */
  async deliveries(tenantId: string, id: string, query: PageQuery & { status?: WebhookDeliveryDto['status'] }): Promise<WebhookDeliveryPageDto> {
    await this.row(tenantId, id);
    const list = `webhook-deliveries:${id}:${query.status ?? ''}`;
    const before = query.cursor !== undefined ? this.cursors.decode(list, query.cursor) : null;
    const rows: DeliveryRow[] = await this.dataSource.query(
      `SELECT d.id, d.event_sequence, e.id AS event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
              d.delivered_at, d.created_at,
              coalesce((SELECT jsonb_agg(a ORDER BY a.attempt) FROM (
                          SELECT attempt, started_at, duration_ms, status_code, error FROM webhook_attempts
                           WHERE delivery_id = d.id ORDER BY attempt DESC LIMIT 100) a), '[]') AS attempt_log
         FROM webhook_deliveries d JOIN events e ON e.tenant_id = d.tenant_id AND e.sequence = d.event_sequence
        WHERE d.endpoint_id = $1 AND ($2::bigint IS NULL OR d.event_sequence < $2) AND ($3::text IS NULL OR d.status = $3)
        ORDER BY d.event_sequence DESC LIMIT $4`,
      [id, before, query.status ?? null, query.limit + 1],
    );
    const page = rows.slice(0, query.limit);
    return {
      data: page.map(toDeliveryDto),
      nextCursor: rows.length > query.limit ? this.cursors.encode(list, page.at(-1)!.event_sequence) : null,
    };
  }

  /**
   * Schedules the endpoint's events after `after` (of its types) for delivery now: a new delivery for each
   * event it never had, and a fresh start (due now, retried again for the whole window) for each it had,
   * delivered or not. Up to RESEND_MAX_EVENTS per call.
   */
  async resend(tenantId: string, id: string, after: number, idempotency: IdempotencyContext | null): Promise<StoredResponse<ResendResultDto>> {
    return this.idempotency.runOnce('webhook_resend', idempotency, async (manager) => {
    const [row]: { scheduled: number; through: string | null; found: number }[] = await manager.query(
      `WITH endpoint AS (SELECT id, tenant_id, event_types FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2),
            chosen AS (
              SELECT e.tenant_id, e.sequence FROM events e, endpoint ep
               WHERE e.tenant_id = ep.tenant_id AND e.sequence > $3
                 AND (cardinality(ep.event_types) = 0 OR e.type = ANY (ep.event_types))
               ORDER BY e.sequence LIMIT $4),
            scheduled AS (
              INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_sequence, next_attempt_at, created_at)
              SELECT gen_random_uuid(), c.tenant_id, $1, c.sequence, now(), now() FROM chosen c
              ON CONFLICT (endpoint_id, event_sequence) DO UPDATE
                 SET status = 'pending', next_attempt_at = now(), created_at = now(), delivered_at = NULL
              RETURNING event_sequence)
       SELECT (SELECT count(*)::int FROM scheduled) AS scheduled, (SELECT max(event_sequence) FROM scheduled) AS through,
              (SELECT count(*)::int FROM endpoint) AS found`,
      [id, tenantId, after, RESEND_MAX_EVENTS],
    );
    if (row!.found === 0) throw endpointNotFound(id);
    return { status: 200, body: { scheduled: row!.scheduled, through: row!.through === null ? null : minorUnitsFromDb(row!.through) } };
    });
  }

  private async row(tenantId: string, id: string): Promise<EndpointRow> {
    const [row]: EndpointRow[] = await this.dataSource.query(
      `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND tenant_id = $2`,
      [id, tenantId],
    );
    if (!row) throw endpointNotFound(id);
    return row;
  }

  private async assertDeliverable(url: string): Promise<void> {
    try {
      await assertDeliverableUrl(url, { allowPrivate: this.allowPrivateUrls });
    } catch (error) {
      if (error instanceof UnsafeUrlError) throw validationFailed(error.message, [{ field: 'url', message: error.message }]);
      throw error;
    }
  }
}

interface DeliveryRow {
  id: string;
  event_sequence: string;
  event_id: string;
  event_type: EventType;
  status: WebhookDeliveryDto['status'];
  attempts: number;
  next_attempt_at: Date;
  delivered_at: Date | null;
  created_at: Date;
  attempt_log: { attempt: number; started_at: string; duration_ms: number; status_code: number | null; error: string | null }[];
}

function toEndpointDto(row: EndpointRow): WebhookEndpointDto {
  return {
    id: row.id,
    url: row.url,
    eventTypes: row.event_types,
    status: row.status,
    ...(row.description !== null ? { description: row.description } : {}),
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

function toDeliveryDto(row: DeliveryRow): WebhookDeliveryDto {
  return {
    id: row.id,
    eventId: row.event_id,
    eventSequence: minorUnitsFromDb(row.event_sequence),
    eventType: row.event_type,
    status: row.status,
    attempts: row.attempts,
    ...(row.status === 'pending' ? { nextAttemptAt: row.next_attempt_at.toISOString() } : {}),
    ...(row.delivered_at !== null ? { deliveredAt: row.delivered_at.toISOString() } : {}),
    createdAt: row.created_at.toISOString(),
    attemptLog: row.attempt_log.map((a) => ({
      attempt: a.attempt,
      startedAt: new Date(a.started_at).toISOString(),
      durationMs: a.duration_ms,
      ...(a.status_code !== null ? { statusCode: a.status_code } : {}),
      ...(a.error !== null ? { error: a.error } : {}),
    })),
  };
}
