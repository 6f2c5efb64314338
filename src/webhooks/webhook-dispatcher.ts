import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { DataSource } from 'typeorm';
import type { Environment } from '../config/environment.js';
import { type EventRow, toEventDto } from '../events/event-rendering.js';
import { nextAttemptDelayMs } from './retry-schedule.js';
import { WebhookMetrics } from './webhook-metrics.js';
import { type DeliveryAttempt, sendWebhook } from './webhook-sender.js';

/** Whether this process delivers webhooks (WEBHOOK_WORKER, or always in the worker process). */
export const WEBHOOK_DELIVERY = Symbol('WEBHOOK_DELIVERY');

/** Events fanned out per endpoint per round. */
const FAN_OUT_BATCH = 500;
/** A claimed delivery is leased this long past its attempt's own timeout; a process that dies mid-attempt loses it then. */
const LEASE_MARGIN_MS = 20_000;
/** How long shutdown waits for attempts in flight, within the service's 10 s shutdown deadline. */
const SHUTDOWN_GRACE_MS = 3_000;

/**
 * Turns new events into deliveries, one per enabled endpoint whose types match: each endpoint keeps how far
 * into its tenant's feed it has been fanned out. Endpoints are taken FOR UPDATE SKIP LOCKED, so replicas
 * fan out different endpoints side by side and never the same one twice. Events are numbered in commit
 * order (record_events.sql), so `sequence > fanned_out_through` never skips one.
 */
const FAN_OUT_SQL = `
  WITH endpoint AS (
    SELECT id, tenant_id, event_types, fanned_out_through FROM webhook_endpoints
     WHERE status = 'enabled' FOR UPDATE SKIP LOCKED
  ), fresh AS (
    SELECT ep.id AS endpoint_id, ep.event_types, e.tenant_id, e.sequence, e.type
      FROM endpoint ep CROSS JOIN LATERAL (
        SELECT tenant_id, sequence, type FROM events
         WHERE tenant_id = ep.tenant_id AND sequence > ep.fanned_out_through ORDER BY sequence LIMIT ${FAN_OUT_BATCH}) e
  ), created AS (
    INSERT INTO webhook_deliveries (id, tenant_id, endpoint_id, event_sequence, next_attempt_at, created_at)
    SELECT gen_random_uuid(), tenant_id, endpoint_id, sequence, now(), now() FROM fresh
     WHERE cardinality(event_types) = 0 OR type = ANY (event_types)
     ORDER BY endpoint_id, sequence
    ON CONFLICT (endpoint_id, event_sequence) DO NOTHING
    RETURNING 1
  ), advanced AS (
    UPDATE webhook_endpoints w SET fanned_out_through = f.through
      FROM (SELECT endpoint_id, max(sequence) AS through FROM fresh GROUP BY endpoint_id) f
     WHERE w.id = f.endpoint_id
    RETURNING 1
  )
  SELECT (SELECT count(*)::int FROM created) AS created, (SELECT count(*)::int FROM fresh) AS scanned`;

/**
 * Takes due deliveries of enabled endpoints that this process has room for: leased by moving next_attempt_at
 * past the attempt (other replicas skip it meanwhile; if this process dies, the lease runs out and another
 * one sends it again — at least once). $1 how many, $2 endpoints this process has no room for, $3 lease ms.
 */
const CLAIM_SQL = `
  WITH due AS (
    SELECT d.id FROM webhook_deliveries d
     WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND NOT d.endpoint_id = ANY ($2::uuid[])
       AND EXISTS (SELECT 1 FROM webhook_endpoints ep WHERE ep.id = d.endpoint_id AND ep.status = 'enabled')
     ORDER BY d.next_attempt_at LIMIT $1
       FOR UPDATE OF d SKIP LOCKED
  )
  UPDATE webhook_deliveries d
     SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $3::float8 / 1000)
    FROM due, webhook_endpoints ep, events e
   WHERE d.id = due.id AND ep.id = d.endpoint_id AND e.tenant_id = d.tenant_id AND e.sequence = d.event_sequence
  RETURNING d.id AS delivery_id, d.attempts AS attempt, ep.id AS endpoint_id, ep.url, ep.secret,
            e.sequence, e.id, e.type, e.created_at, event_data(e.transaction_id, e.data) AS data`;

/**
 * Records an attempt and decides the delivery: delivered; failed for good once retried for the whole window
 * (from when it was scheduled: the last attempt is the first one past the window); otherwise pending again after the backoff. Only while the attempt is still
 * this process's (attempts unchanged), so a lease that ran out and was taken over is not overwritten.
 * $1 delivery, $2 attempt, $3 started, $4 ms, $5 status, $6 error, $7 delivered, $8 retry delay ms, $9 window ms.
 */
const RECORD_SQL = `
  WITH attempt AS (
    INSERT INTO webhook_attempts (delivery_id, attempt, started_at, duration_ms, status_code, error)
    VALUES ($1, $2, $3, $4, $5, $6)
    ON CONFLICT DO NOTHING
  )
  UPDATE webhook_deliveries
     SET status = CASE WHEN $7 THEN 'delivered'
                       WHEN now() > created_at + make_interval(secs => $9::float8 / 1000) THEN 'failed'
                       ELSE 'pending' END,
         delivered_at = CASE WHEN $7 THEN now() END,
         next_attempt_at = CASE WHEN $7 THEN next_attempt_at ELSE now() + make_interval(secs => $8::float8 / 1000) END,
         last_status_code = $5, last_error = $6
   WHERE id = $1 AND attempts = $2 AND status = 'pending'
  RETURNING status`;

interface Claimed extends EventRow {
  delivery_id: string;
  attempt: number;
  endpoint_id: string;
  url: string;
  secret: string;
}

/**
 * Delivers webhooks: every WEBHOOK_POLL_INTERVAL_MS it fans new events out into deliveries and sends the due
 * ones, at most WEBHOOK_MAX_CONCURRENCY attempts at once and WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT per endpoint,
 * so a receiver that hangs holds only its own slots (each attempt is cut at WEBHOOK_TIMEOUT_MS). The database
 * is touched only between attempts, never while an HTTP request is open, and never while wallet rows are
 * locked: this reads the outbox the posting statements wrote.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(WebhookDispatcher.name);
  private readonly settings: {
    pollMs: number;
    timeoutMs: number;
    retryBaseMs: number;
    retryForMs: number;
    maxInFlight: number;
    maxPerEndpoint: number;
    allowPrivate: boolean;
  };
  private readonly inFlightByEndpoint = new Map<string, number>();
  private readonly attempts = new Set<Promise<void>>();
  private inFlight = 0;
  private timer?: NodeJS.Timeout;
  private running = false;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: WebhookMetrics,
    config: ConfigService<Environment, true>,
    @Inject(WEBHOOK_DELIVERY) private readonly enabled: boolean,
  ) {
    this.settings = {
      pollMs: config.get('WEBHOOK_POLL_INTERVAL_MS', { infer: true }),
      timeoutMs: config.get('WEBHOOK_TIMEOUT_MS', { infer: true }),
      retryBaseMs: config.get('WEBHOOK_RETRY_BASE_MS', { infer: true }),
      retryForMs: config.get('WEBHOOK_RETRY_FOR_MS', { infer: true }),
      maxInFlight: config.get('WEBHOOK_MAX_CONCURRENCY', { infer: true }),
      maxPerEndpoint: config.get('WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT', { infer: true }),
      allowPrivate: config.get('WEBHOOK_ALLOW_PRIVATE_URLS', { infer: true }),
    };
  }

  onApplicationBootstrap(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.tick(), this.settings.pollMs);
    this.timer.unref();
  }

  /**
   * Stops taking work and gives the attempts in flight a moment to be recorded; one still open after that is
   * abandoned with its lease, and attempted again once the lease runs out (at least once, never lost).
   */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    let grace: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.attempts]),
      new Promise((resolve) => (grace = setTimeout(resolve, SHUTDOWN_GRACE_MS))),
    ]);
    clearTimeout(grace);
  }

  /** One round: fan out, then claim and start what there is room for. Returns how many attempts it started. */
  async tick(): Promise<number> {
    if (this.running || this.stopped) return 0;
    this.running = true;
    try {
      await this.fanOut();
      return await this.claimAndSend();
    } catch (error) {
      this.logger.warn({ err: error }, 'webhook delivery round failed; retrying next round');
      return 0;
    } finally {
      this.running = false;
    }
  }

  /** Waits until every attempt started so far has been recorded (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.attempts.size > 0) await Promise.allSettled([...this.attempts]);
  }

  private async fanOut(): Promise<void> {
    // Each round moves every endpoint at most FAN_OUT_BATCH events on; a backlog takes a few rounds.
    for (let round = 0; round < 20; round++) {
      const [{ scanned }]: { scanned: number }[] = await this.dataSource.query(FAN_OUT_SQL);
      if (scanned < FAN_OUT_BATCH) return;
    }
  }

  private async claimAndSend(): Promise<number> {
    const room = this.settings.maxInFlight - this.inFlight;
    if (room <= 0) return 0;
    const full = [...this.inFlightByEndpoint].filter(([, count]) => count >= this.settings.maxPerEndpoint).map(([id]) => id);
    const leaseMs = this.settings.timeoutMs + LEASE_MARGIN_MS;
    // TypeORM answers an UPDATE with [rows, affected count].
    const [claimed]: [Claimed[], number] = await this.dataSource.query(CLAIM_SQL, [room, full, leaseMs]);
    // One claim may bring more of an endpoint than it has room for: those wait here (still leased) for its slots.
    const queues = new Map<string, Claimed[]>();
    for (const delivery of claimed) queues.set(delivery.endpoint_id, [...(queues.get(delivery.endpoint_id) ?? []), delivery]);
    for (const [endpointId, queue] of queues) this.drain(endpointId, queue);
    return claimed.length;
  }

  private drain(endpointId: string, queue: Claimed[]): void {
    while (queue.length > 0 && (this.inFlightByEndpoint.get(endpointId) ?? 0) < this.settings.maxPerEndpoint) {
      const delivery = queue.shift()!;
      this.inFlight += 1;
      this.inFlightByEndpoint.set(endpointId, (this.inFlightByEndpoint.get(endpointId) ?? 0) + 1);
      const attempt = this.attempt(delivery).catch((error: unknown) => {
        // A bug, not a receiver's failure: logged; the lease runs out and the delivery is attempted again.
        this.logger.error({ err: error, deliveryId: delivery.delivery_id }, 'a webhook attempt failed unexpectedly');
      }).finally(() => {
        this.inFlight -= 1;
        const left = (this.inFlightByEndpoint.get(endpointId) ?? 1) - 1;
        if (left === 0) this.inFlightByEndpoint.delete(endpointId);
        else this.inFlightByEndpoint.set(endpointId, left);
        this.attempts.delete(attempt);
        if (!this.stopped) this.drain(endpointId, queue);
      });
      this.attempts.add(attempt);
    }
  }

  private async attempt(delivery: Claimed): Promise<void> {
    const startedAt = new Date();
    // The same body every time (an event never changes); a fresh timestamp each attempt, as the spec wants.
    const body = JSON.stringify(toEventDto(delivery));
    const result: DeliveryAttempt = await sendWebhook({
      url: delivery.url,
      secret: delivery.secret,
      messageId: delivery.id,
      body,
      timestampSeconds: Math.floor(startedAt.getTime() / 1000),
      timeoutMs: this.settings.timeoutMs,
      allowPrivate: this.settings.allowPrivate,
    });
    const retryDelayMs = nextAttemptDelayMs(delivery.attempt, this.settings.retryBaseMs);
    try {
      const [[recorded]]: [{ status: string }[], number] = await this.dataSource.query(RECORD_SQL, [
        delivery.delivery_id, delivery.attempt, startedAt, Math.round(result.durationMs), result.statusCode,
        result.error?.slice(0, 500) ?? null, result.delivered, retryDelayMs, this.settings.retryForMs,
      ]);
      if (recorded) this.metrics.attempted(recorded.status === 'delivered' ? 'delivered' : recorded.status === 'failed' ? 'gave_up' : 'failed', delivery.attempt);
    } catch (error) {
      // Not recorded: the lease runs out and the delivery is attempted again (at least once).
      this.logger.warn({ err: error, deliveryId: delivery.delivery_id }, 'recording a webhook attempt failed');
    }
  }
}
