import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { LOCK_NOT_AVAILABLE } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';

/** What a money move is, as the metrics label it (the ledger engine's EngineCall.type). */
export type MoneyMoveType = 'deposit' | 'withdrawal' | 'transfer' | 'hold' | 'capture' | 'void' | 'refund' | 'conversion' | 'batch';
const MONEY_MOVE_TYPES: MoneyMoveType[] = ['deposit', 'withdrawal', 'transfer', 'hold', 'capture', 'void', 'refund', 'conversion', 'batch'];

/** POSTs that are not money moves and keep their answer with their Idempotency-Key (IdempotencyStore). */
export type StoredResponseOperation = 'wallet_create' | 'fx_quote_create' | 'webhook_endpoint_create' | 'webhook_resend';
const STORED_RESPONSE_OPERATIONS: StoredResponseOperation[] = ['wallet_create', 'fx_quote_create', 'webhook_endpoint_create', 'webhook_resend'];

/** The part of a posting function's answer the metrics read (see LedgerEngine's EngineOutcome). */
interface PostingAnswer {
  outcome: string;
  code?: string | null;
}

const OUTCOME_LABEL: Record<string, string> = {
  posted: 'posted',
  refused: 'refused',
  replay: 'replayed',
  key_reused: 'key_reused',
  in_progress: 'in_progress',
};

const RETRY_REASON: Record<string, string> = { '40P01': 'deadlock', '40001': 'serialization_failure' };
const SQLSTATE_PATTERN = /^[0-9A-Z]{5}$/;
/** Error codes are a closed set (ErrorCode); anything else that shows up is bucketed rather than trusted as a label. */
const CODE_PATTERN = /^[A-Z_]{1,40}$/;

const SECONDS_PER_MS = 1 / 1000;
/** Posting statements: a millisecond up to past the default lock_timeout (2 s) and statement_timeout (5 s). */
const POSTING_BUCKETS_SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const HTTP_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function sqlStateOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code ?? (error as { driverError?: { code?: unknown } })?.driverError?.code;
  return typeof code === 'string' && SQLSTATE_PATTERN.test(code) ? code : undefined;
}

/** This service's sessions in its database that wait for a heavyweight lock (row locks are taken as such while waited for). */
const LOCK_WAITS_SQL = `
  SELECT count(*)::int AS waiting,
         coalesce(extract(epoch FROM max(clock_timestamp() - query_start)), 0)::float8 AS longest_seconds
    FROM pg_stat_activity
   WHERE datname = current_database() AND application_name = 'wallet-service' AND wait_event_type = 'Lock'`;

/**
 * Every metric the service exposes at GET /metrics, on a registry of its own (one per application, so
 * several apps in one process never share series). Recording is a synchronous in-memory increment: no
 * await and no I/O on a request's path. Labels are bounded: route patterns, move types, outcomes and
 * error codes — never ids, keys or tenants.
 */
@Injectable()
export class WalletMetrics {
  readonly registry = new Registry();

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests from the server receiving them to the last byte of the answer, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: HTTP_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly moneyMoves = new Counter({
    name: 'wallet_money_moves_total',
    help:
      'Calls of the ledger engine by move type and outcome (posted, refused, replayed, key_reused, in_progress, error); ' +
      'code is the refusal code for refused (and replayed refusals), the SQLSTATE for error',
    labelNames: ['type', 'outcome', 'code'] as const,
    registers: [this.registry],
  });

  private readonly postingDuration = new Histogram({
    name: 'wallet_posting_statement_duration_seconds',
    help:
      'One posting statement (SELECT <posting function>(…) and its COMMIT) as the service sees it, every attempt: pool checkout, ' +
      'round trip, waiting for the wallet row locks and holding them until COMMIT',
    labelNames: ['type'] as const,
    buckets: POSTING_BUCKETS_SECONDS,
    registers: [this.registry],
  });

  private readonly lockWaitTimeouts = new Counter({
    name: 'wallet_lock_wait_timeouts_total',
    help:
      `Posting statements that waited for a wallet row lock past lock_timeout (SQLSTATE ${LOCK_NOT_AVAILABLE}, answered 503); ` +
      'a wait behind a running request with the same Idempotency-Key counts as outcome="in_progress" instead',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  private readonly retries = new Counter({
    name: 'wallet_posting_retries_total',
    help: 'Posting statements retried after a deadlock (40P01) or a serialization failure (40001)',
    labelNames: ['type', 'reason'] as const,
    registers: [this.registry],
  });

  private readonly idempotencyReplays = new Counter({
    name: 'wallet_idempotency_replays_total',
    help: 'Requests answered from their Idempotency-Key record (the first answer again, refusals included), by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  private readonly holdsExpired = new Counter({
    name: 'wallet_holds_expired_total',
    help: 'Due holds the background sweeper marked expired (reads treat them as expired from expires_at on regardless)',
    registers: [this.registry],
  });

  private readonly groupSize = new Histogram({
    name: 'wallet_posting_group_size',
    help: 'Money moves per posting group (one statement, one transaction); 1 whenever the database keeps up',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  private readonly movesQueued = new Counter({
    name: 'wallet_posting_queued_total',
    help: 'Money moves that waited for a posting slot and went out in the next group (the rest went out at once)',
    registers: [this.registry],
  });

  constructor(dataSource: DataSource) {
    // Read on scrape from the pool TypeORM's PostgreSQL driver created (undefined before connect and after close).
    const pool = () => (dataSource.driver as unknown as { master?: { totalCount: number; idleCount: number; waitingCount: number } }).master;
    const poolGauge = (name: string, help: string, read: (p: NonNullable<ReturnType<typeof pool>>) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const current = pool();
          this.set(current ? read(current) : 0);
        },
      });
    poolGauge('wallet_db_pool_connections', 'Open connections in the service pool (idle and checked out)', (p) => p.totalCount);
    poolGauge('wallet_db_pool_idle_connections', 'Open connections in the service pool that nobody has checked out', (p) => p.idleCount);
    poolGauge('wallet_db_pool_waiting_clients', 'Queries waiting for a connection from the service pool', (p) => p.waitingCount);
    // Lock waits as PostgreSQL sees them right now, read on scrape (one small query each, never on a request's
    // path). Unknown (NaN) when the database cannot answer: readiness already says why.
    const lockGauge = (name: string, help: string, column: 'waiting' | 'longest_seconds') =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        async collect() {
          try {
            const [row] = await dataSource.query(LOCK_WAITS_SQL);
            this.set(Number(row[column]));
          } catch {
            this.set(Number.NaN);
          }
        },
      });
    lockGauge('wallet_db_lock_waiting_sessions', "The service's database sessions waiting for a lock (a wallet's row, mostly) at scrape time", 'waiting');
    lockGauge(
      'wallet_db_lock_wait_longest_seconds',
      "How long the longest-waiting of those has been at it (since its statement began), 0 when none waits",
      'longest_seconds',
    );
    collectDefaultMetrics({ register: this.registry });
    // Counters of rare events start at 0, so rate() and alerts see them before the first one happens.
    for (const type of MONEY_MOVE_TYPES) {
      this.lockWaitTimeouts.inc({ type }, 0);
      for (const reason of Object.values(RETRY_REASON)) this.retries.inc({ type, reason }, 0);
    }
    this.idempotencyReplays.inc({ operation: 'money_move' }, 0);
    this.movesQueued.inc(0);
    for (const operation of STORED_RESPONSE_OPERATIONS) this.idempotencyReplays.inc({ operation }, 0);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  exposition(): Promise<string> {
    return this.registry.metrics();
  }

  httpRequestFinished(method: string, route: string, status: number, startedAtMs: number): void {
    this.httpDuration.observe({ method, route, status: String(status) }, (performance.now() - startedAtMs) * SECONDS_PER_MS);
  }

  /** A posting group went out: how many moves, and how many of them had waited for a free slot. */
  postingGroupSent(size: number, waited: number): void {
    this.groupSize.observe(size);
    if (waited > 0) this.movesQueued.inc(waited);
  }

  /** A posting statement answered: its time, and the outcome it answered with. */
  postingAnswered(type: MoneyMoveType, startedAtMs: number, answer: PostingAnswer): void {
    this.postingDuration.observe({ type }, (performance.now() - startedAtMs) * SECONDS_PER_MS);
    const outcome = OUTCOME_LABEL[answer.outcome] ?? 'unknown';
    const code = answer.code && CODE_PATTERN.test(answer.code) ? answer.code : '';
    this.moneyMoves.inc({ type, outcome, code: outcome === 'refused' || outcome === 'replayed' ? code : '' });
    if (outcome === 'replayed') this.idempotencyReplays.inc({ operation: 'money_move' });
  }

  /**
   * A posting call threw. A DomainError is an answer postingAnswered already counted (LedgerEngine turns
   * refusals into exceptions after the statement); anything else is a failed statement: a lock wait past
   * lock_timeout, a conflict about to be retried, or a final error.
   */
  postingFailed(type: MoneyMoveType, startedAtMs: number, error: unknown, retrying: boolean): void {
    if (error instanceof DomainError) return;
    this.postingDuration.observe({ type }, (performance.now() - startedAtMs) * SECONDS_PER_MS);
    const sqlState = sqlStateOf(error);
    if (sqlState === LOCK_NOT_AVAILABLE) this.lockWaitTimeouts.inc({ type });
    if (retrying) this.retries.inc({ type, reason: (sqlState && RETRY_REASON[sqlState]) ?? 'other' });
    else this.moneyMoves.inc({ type, outcome: 'error', code: sqlState ?? 'other' });
  }

  /** A request that is not a money move answered from its Idempotency-Key record. */
  idempotencyReplayed(operation: StoredResponseOperation): void {
    this.idempotencyReplays.inc({ operation });
  }

  holdsSwept(count: number): void {
    if (count > 0) this.holdsExpired.inc(count);
  }
}
