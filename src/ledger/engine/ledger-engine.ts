import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isRetryableConflict } from '../../common/errors/database-errors.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { keyInProgress, keyReused, refusalFrom } from '../../idempotency/idempotency.store.js';
import { moneyMoveType, WalletMetrics } from '../../observability/wallet-metrics.js';
import type { TransactionDocument } from '../movements/dto/transaction.dto.js';

/** What the posting SQL functions return (see migrations/1764200000000-holds-and-refunds.ts). */
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

/** The functions that move money; each is one statement and one transaction. */
export type EngineFunction = 'post_movement' | 'place_hold' | 'capture_hold' | 'void_hold' | 'refund_transaction' | 'post_batch';

const MAX_ATTEMPTS = 3;
/**
 * Before a retry: a retry sent at once often meets the same other party still on its way to the row and
 * deadlocks with it again. A short random pause (growing with the attempt) lets that party finish first.
 * The failed transaction has already rolled back, so no lock is held while pausing.
 */
const RETRY_PAUSE_MIN_MS = 5;
const RETRY_PAUSE_MAX_MS = 25;

/**
 * Calls one posting SQL function as its own transaction and turns its outcome into a result or a
 * DomainError. Each function claims the idempotency key, locks the wallets in id order with
 * SELECT … FOR UPDATE, checks under the locks and writes — all in one round trip, so the row locks
 * live for one statement and a COMMIT, with no logging or awaiting in between.
 */
@Injectable()
export class LedgerEngine {
  private readonly logger = new Logger(LedgerEngine.name);
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: WalletMetrics,
  ) {}

  /**
   * `tenantId` confines the call to that tenant's rows; `args` are the function's parameters between
   * the tenant and the idempotency triple, in order.
   */
  async run(fn: EngineFunction, tenantId: string, args: unknown[], idempotency: IdempotencyContext | null, now: Date): Promise<EngineResult> {
    const parameters = [tenantId, ...args, idempotency?.scope ?? null, idempotency?.key ?? null, idempotency?.requestHash ?? null, now];
    const placeholders = parameters.map((_, index) => `$${index + 1}`).join(', ');
    const sql = `SELECT ${fn}(${placeholders}) AS result`;
    const type = moneyMoveType(fn, args);
    for (let attempt = 1; ; attempt++) {
      const startedAtMs = performance.now();
      try {
        const [row] = await this.dataSource.query(sql, parameters);
        this.metrics.postingAnswered(type, startedAtMs, row.result as EngineOutcome);
        return resultOf(row.result as EngineOutcome);
      } catch (error) {
        // Locks are always taken in id order, so a deadlock needs an outside party; retry it anyway.
        const retrying = attempt < MAX_ATTEMPTS && isRetryableConflict(error);
        this.metrics.postingFailed(type, startedAtMs, error, retrying);
        if (!retrying) throw error;
        this.logger.warn({ attempt, fn, code: (error as { code?: string }).code }, 'retrying after a transient conflict');
        const pauseMs = attempt * (RETRY_PAUSE_MIN_MS + Math.random() * (RETRY_PAUSE_MAX_MS - RETRY_PAUSE_MIN_MS));
        await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    }
  }
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
      if (result.code) throw refusalFrom(result.code, result.detail);
      throw new Error('idempotency record without an outcome');
    case 'key_reused':
      throw keyReused();
    case 'in_progress':
      throw keyInProgress();
  }
}
