import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isRetryableConflict } from '../../common/errors/database-errors.js';
import { keyInProgress, keyReused, refusalFrom } from '../../idempotency/idempotency.store.js';
import { WalletMetrics } from '../../observability/wallet-metrics.js';
import type { TransactionDocument } from './documents.js';
import { type EngineCall, renderCall } from './engine-call.js';

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

  /** `call` comes from one of the builders in calls.ts (postMovement, placeHold, …). */
  async run(call: EngineCall): Promise<EngineResult> {
    const { expression, parameters } = renderCall(call);
    const sql = `SELECT ${expression} AS result`;
    const type = call.type;
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
        this.logger.warn({ attempt, entryPoint: call.entryPoint, code: (error as { code?: string }).code }, 'retrying after a transient conflict');
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
