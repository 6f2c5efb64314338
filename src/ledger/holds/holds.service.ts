import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { Clock } from '../../common/clock/clock.js';
import { DomainError } from '../../common/errors/domain-error.js';
import { uuidv7 } from '../../common/ids/uuid-v7.js';
import type { IdempotencyContext } from '../../idempotency/idempotency-key.decorator.js';
import { CursorCodec } from '../../common/pagination/cursor.js';
import { captureHold, placeHold, voidHold } from '../engine/calls.js';
import { LedgerEngine, type EngineResult } from '../engine/ledger-engine.js';
import { PostedTransaction, postedTransaction } from '../movements/posting.service.js';
import { walletNotFound } from '../../wallets/wallets.service.js';
import type { CaptureHoldDto } from './dto/capture-hold.dto.js';
import type { CreateHoldDto } from './dto/create-hold.dto.js';
import type { HoldDocument } from '../engine/documents.js';
import { HoldDto, HoldPageDto, toHoldDto } from './dto/hold.dto.js';
import type { HoldsQuery } from './dto/holds.query.js';

export interface HoldResponse {
  hold: HoldDto;
  replayed: boolean;
}

export const holdNotFound = (id: string) => new DomainError('HOLD_NOT_FOUND', `Hold ${id} does not exist.`);

/**
 * Holds reserve money for an order. Writes go through the ledger engine (one SQL function each,
 * wallet row locks in id order); reads decide expiry with the service clock, so a hold past its
 * expiresAt reads as expired the moment it is due, before the sweeper marks it.
 */
@Injectable()
export class HoldsService {
  constructor(
    private readonly engine: LedgerEngine,
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    @Inject(CursorCodec) private readonly cursors: CursorCodec,
  ) {}

  async place(tenantId: string, input: CreateHoldDto, idempotency: IdempotencyContext | null): Promise<HoldResponse> {
    const now = this.clock.now();
    const expiresAt = input.expiresInSeconds !== undefined ? new Date(now.getTime() + input.expiresInSeconds * 1000) : null;
    const { walletId, amount, expiresInSeconds: _, ...details } = input;
    const call = placeHold({ tenantId, idempotency, now }, { holdId: uuidv7(), walletId, amountMinor: amount, expiresAt, ...details });
    return holdResponse(await this.engine.run(call));
  }

  async capture(tenantId: string, holdId: string, input: CaptureHoldDto, idempotency: IdempotencyContext | null): Promise<PostedTransaction> {
    const { amount, toWalletId, ...details } = input;
    const call = captureHold(
      { tenantId, idempotency, now: this.clock.now() },
      { transactionId: uuidv7(), holdId, amountMinor: amount ?? null, toWalletId: toWalletId ?? null, ...details },
    );
    return postedTransaction(await this.engine.run(call));
  }

  async void(tenantId: string, holdId: string, idempotency: IdempotencyContext | null): Promise<HoldResponse> {
    return holdResponse(await this.engine.run(voidHold({ tenantId, idempotency, now: this.clock.now() }, holdId)));
  }

  async get(tenantId: string, id: string): Promise<HoldDto> {
    const [row] = await this.dataSource.query('SELECT to_jsonb(h) AS doc FROM holds h WHERE h.id = $1 AND h.tenant_id = $2', [id, tenantId]);
    if (!row?.doc) throw holdNotFound(id);
    return toHoldDto(row.doc as HoldDocument, this.clock.now());
  }

  /** A wallet's holds, newest first; ids are UUIDv7, so id order is creation order. */
  async listByWallet(tenantId: string, walletId: string, query: HoldsQuery): Promise<HoldPageDto> {
    const list = `${walletId}:holds:${query.status ?? 'any'}`;
    const beforeId = query.cursor !== undefined ? this.cursors.decode(list, query.cursor, 'uuid') : null;
    const now = this.clock.now();
    const rows: { doc: HoldDocument | null }[] = await this.dataSource.query(
      `WITH wallet AS (SELECT id FROM wallets WHERE id = $1 AND tenant_id = $6)
       SELECT page.doc
         FROM wallet
         LEFT JOIN LATERAL (
           SELECT to_jsonb(h) AS doc
             FROM holds h
            WHERE h.wallet_id = wallet.id
              AND ($2::text IS NULL OR hold_status_at(h.status, h.expires_at, $3) = $2)
              AND ($4::uuid IS NULL OR h.id < $4)
            ORDER BY h.id DESC
            LIMIT $5
         ) page ON true`,
      [walletId, query.status ?? null, now, beforeId, query.limit + 1, tenantId],
    );
    if (rows.length === 0) throw walletNotFound(walletId);
    const found = rows.flatMap((row) => (row.doc ? [row.doc] : []));
    const page = found.slice(0, query.limit);
    return {
      data: page.map((doc) => toHoldDto(doc, now)),
      nextCursor: found.length > query.limit ? this.cursors.encode(list, page[page.length - 1].id) : null,
    };
  }
}

function holdResponse(result: EngineResult): HoldResponse {
  if (result.kind !== 'response') throw new Error('the ledger engine answered a hold call with a transaction');
  // A replay repeats the stored body as it was; a fresh answer was rendered a moment ago.
  return { hold: toHoldDto(result.body as HoldDocument, null), replayed: result.replayed };
}
