import { Inject, Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable, isRetryableConflict } from '../../common/errors/database-errors.js';
import { keyInProgress, keyReused, refusalFrom } from '../../idempotency/idempotency.store.js';
import { WalletMetrics } from '../../observability/wallet-metrics.js';
import type { TransactionDocument } from './documents.js';
import { type EngineCall, renderRecordedCall } from './engine-call.js';
import { GroupPoster } from './group-poster.js';

/** What the posting SQL entry points return (src/ledger/sql/idempotency_claim.sql, apply_*.sql, …). */
type EngineOutcome =
  | { outcome: 'posted'; transaction?: TransactionDocument; status?: number; body?: unknown }
  | { outcome: 'refused'; code: string; detail: string }
  | { outcome: 'replay'; transaction: TransactionDocument | null; status: number | null; body: unknown; code: string | null; detail: string | null }
  | { outcome: 'key_reused' }
  | { outcome: 'in_progress' };

/** A write that went through: a posted transaction, or a stored response (a hold, a batch). */
export type EngineResult =
  | { kind: 'transaction'; transaction: TransactionDocument; replayed: boolean }
  | { kind: 'response'; status: number; body: unknown; replayed: boolean };

const MAX_ATTEMPTS = 3;
/**
 * Before a retry: a retry sent at once often meets the same other party still on its way to the row and
 * deadlocks with it again. A short random pause (growing with the attempt) lets that party finish first.
 * The failed transaction has already rolled back, so no lock is held while pausing.
 */
const RETRY_PAUSE_MIN_MS = 5;
const RETRY_PAUSE_MAX_MS = 25;

/** How many groups may be in flight and how big one may get (POSTING_MAX_IN_FLIGHT, POSTING_MAX_GROUP_SIZE). */
export interface PostingSettings {
  maxInFlight: number;
  maxGroupSize: number;
}
export const POSTING_SETTINGS = Symbol('POSTING_SETTINGS');

/** What group posting carries per move: the call and when it was asked for (for its duration metric). */
interface Submitted {
  call: EngineCall;
  startedAtMs: number;
}

/** The part of node-postgres' Pool the engine uses: TypeORM's driver holds one as `master`. */
interface QueryPool {
  query(text: string, values: unknown[]): Promise<{ rows: { result: unknown }[] }>;
}

/**
 * Posts money moves through the SQL entry points and turns each outcome into a result or a DomainError.
 * Every entry point claims the idempotency key, locks the wallets in id order with SELECT … FOR UPDATE,
 * checks under the locks and writes — all in one round trip, so the row locks live for one statement and a
 * COMMIT, with no logging or awaiting in between.
 *
 * Moves go through a GroupPoster: one alone goes out as its entry point's own statement, as it always did;
 * moves that arrive while every posting slot is busy go out together through post_group
 * (src/ledger/sql/post_group.sql), one statement and one transaction for the group. Statements go to
 * node-postgres' pool directly: the hot path skips TypeORM's query runner.
 */
@Injectable()
export class LedgerEngine {
  private readonly logger = new Logger(LedgerEngine.name);
  private readonly poster: GroupPoster<Submitted, EngineOutcome>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: WalletMetrics,
    @Inject(POSTING_SETTINGS) settings: PostingSettings,
  ) {
    this.poster = new GroupPoster<Submitted, EngineOutcome>({
      ...settings,
      send: (items) => this.send(items.map((item) => item.call)),
      decide: decideAfterFailure,
      pause: (attempt) => sleep(attempt * (RETRY_PAUSE_MIN_MS + Math.random() * (RETRY_PAUSE_MAX_MS - RETRY_PAUSE_MIN_MS))),
      onGroup: (size, waited) => this.metrics.postingGroupSent(size, waited),
      onRetry: (items, error) => {
        for (const item of items) this.metrics.postingFailed(item.call.type, item.startedAtMs, error, true);
        this.logger.warn({ groupSize: items.length, code: (error as { code?: string }).code }, 'retrying after a transient conflict');
      },
    });
  }

  /** `call` comes from one of the builders in calls.ts (postMovement, placeHold, …). */
  async run(call: EngineCall): Promise<EngineResult> {
    const startedAtMs = performance.now();
    let outcome: EngineOutcome;
    try {
      outcome = await this.poster.post({ call, startedAtMs });
    } catch (error) {
      this.metrics.postingFailed(call.type, startedAtMs, error, false);
      throw error;
    }
    this.metrics.postingAnswered(call.type, startedAtMs, outcome);
    return resultOf(outcome);
  }

  /**
   * One group as one statement: a single move through its own entry point, several through post_group; either
   * way the statement also writes the events of what it posted.
   */
  private async send(calls: readonly EngineCall[]): Promise<EngineOutcome[]> {
    if (calls.length === 1) {
      const { expression, parameters } = renderRecordedCall(calls[0]!);
      const { rows } = await this.pool().query(`SELECT ${expression} AS result`, parameters);
      return [rows[0]!.result as EngineOutcome];
    }
    const group = JSON.stringify(calls.map((call) => ({ entry_point: call.entryPoint, args: call.args })));
    const { rows } = await this.pool().query('SELECT post_group($1::jsonb) AS result', [group]);
    return rows[0]!.result as EngineOutcome[];
  }

  private pool(): QueryPool {
    const pool = (this.dataSource.driver as unknown as { master?: QueryPool }).master;
    if (!pool) throw new Error('the database pool is not connected');
    return pool;
  }
}

/**
 * A group that failed as a whole rolled back whole. A deadlock or serialization failure is retried (three
 * attempts in all). An error that belongs to one move — a bug, a constraint — splits the group: each move is
 * sent alone, so that one fails by itself and the others post. Anything that says the database is
 * unavailable fails every move of the group with 503, which a client retries safely with its key; that
 * includes a wallet locked past lock_timeout (by a long transaction outside the service): the group has
 * already waited that long, and sending its moves one by one would hold a connection for as long again per
 * move on that wallet.
 */
function decideAfterFailure(error: unknown, size: number, attempt: number): 'retry' | 'split' | 'fail' {
  if (isRetryableConflict(error)) return attempt < MAX_ATTEMPTS ? 'retry' : 'fail';
  return size > 1 && !isDatabaseUnavailable(error) ? 'split' : 'fail';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function resultOf(result: EngineOutcome): EngineResult {
  switch (result.outcome) {
    case 'posted':
      if (result.transaction) return { kind: 'transaction', transaction: result.transaction, replayed: false };
      return { kind: 'response', status: result.status ?? 200, body: result.body, replayed: false };
    case 'refused':
      throw refusalFrom(result.code, result.detail);
    case 'replay':
      if (result.transaction) return { kind: 'transaction', transaction: result.transaction, replayed: true };
      if (result.status !== null) return { kind: 'response', status: result.status, body: result.body, replayed: true };
      if (result.code) throw refusalFrom(result.code, result.detail, true);
      throw new Error('idempotency record without an outcome');
    case 'key_reused':
      throw keyReused();
    case 'in_progress':
      throw keyInProgress();
  }
}
