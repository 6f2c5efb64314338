import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { LOCK_NOT_AVAILABLE } from '../common/errors/database-errors.js';
import { DomainError } from '../common/errors/domain-error.js';
import { isErrorCode } from '../common/errors/error-codes.js';
import type { IdempotencyContext } from './idempotency-key.decorator.js';
import { type StoredResponseOperation, WalletMetrics } from '../observability/wallet-metrics.js';

export interface StoredResponse<T> {
  status: number;
  body: T;
  replayed: boolean;
}

export function keyReused(): DomainError {
  return new DomainError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used with a different request.');
}

export function keyInProgress(): DomainError {
  return new DomainError('IDEMPOTENCY_IN_PROGRESS', 'A request with this Idempotency-Key is still running; retry shortly.');
}

/** A refusal from its stored or returned code and detail, answered exactly as it was the first time. */
/** A refusal as stored with an Idempotency-Key; `replayed` when it answers a repeat of the request. */
export function refusalFrom(code: string, detail: string | null, replayed = false): DomainError {
  if (!isErrorCode(code)) throw new Error(`unknown stored error code ${code}`);
  return new DomainError(code, detail ?? '', undefined, replayed);
}

/**
 * Exactly-once for POSTs that are not money movements (those claim their key inside `post_movement`).
 * The key is claimed by an INSERT in the same database transaction as the work, so a concurrent
 * duplicate blocks on it until the first commits and then replays; a crash leaves neither behind.
 */
@Injectable()
export class IdempotencyStore {
  constructor(
    private readonly dataSource: DataSource,
    private readonly metrics: WalletMetrics,
  ) {}

  /** `operation` labels the replays metric. */
  async runOnce<T>(
    operation: StoredResponseOperation,
    context: IdempotencyContext | null,
    work: (manager: EntityManager) => Promise<{ status: number; body: T }>,
  ): Promise<StoredResponse<T>> {
    if (!context) return { ...(await this.dataSource.transaction((manager) => work(manager))), replayed: false };
    let refusal: DomainError | undefined;
    try {
      return await this.dataSource.transaction(async (manager) => {
        if (!(await this.claim(manager, context))) return this.replay<T>(manager, context, operation);
        let result: { status: number; body: T };
        try {
          result = await work(manager);
        } catch (error) {
          if (error instanceof DomainError) refusal = error;
          throw error;
        }
        await manager.query(
          `UPDATE idempotency_keys SET response_status = $3, response_body = $4 WHERE scope = $1 AND key = $2`,
          [context.scope, context.key, result.status, JSON.stringify(result.body)],
        );
        return { ...result, replayed: false };
      });
    } catch (error) {
      // The refusal rolled the work back, key included; remember it so a retry gets the same answer.
      if (refusal) {
        await this.dataSource.query(
          `INSERT INTO idempotency_keys (scope, key, request_hash, error_code, error_detail) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT DO NOTHING`,
          [context.scope, context.key, context.requestHash, refusal.code, refusal.detail],
        );
      }
      throw error;
    }
  }

  /** True when this request now owns the key; false when an earlier one (committed by now) does. */
  private async claim(manager: EntityManager, context: IdempotencyContext): Promise<boolean> {
    try {
      const claimed: unknown[] = await manager.query(
        `INSERT INTO idempotency_keys (scope, key, request_hash) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1`,
        [context.scope, context.key, context.requestHash],
      );
      return claimed.length > 0;
    } catch (error) {
      // Blocked past lock_timeout behind the first request with this key, still uncommitted.
      if ((error as { driverError?: { code?: string } }).driverError?.code === LOCK_NOT_AVAILABLE) throw keyInProgress();
      throw error;
    }
  }

  private async replay<T>(manager: EntityManager, context: IdempotencyContext, operation: StoredResponseOperation): Promise<StoredResponse<T>> {
    const [record] = await manager.query(
      `SELECT request_hash, error_code, error_detail, response_status, response_body
         FROM idempotency_keys WHERE scope = $1 AND key = $2`,
      [context.scope, context.key],
    );
    if (record.request_hash !== context.requestHash) throw keyReused();
    this.metrics.idempotencyReplayed(operation);
    if (record.error_code) throw refusalFrom(record.error_code, record.error_detail, true);
    return { status: record.response_status, body: record.response_body as T, replayed: true };
  }
}
