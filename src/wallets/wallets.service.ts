import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { EntityManager, Repository } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { Clock } from '../common/clock/clock.js';
import { DomainError } from '../common/errors/domain-error.js';
import { preparedQuery } from '../database/prepared-query.js';
import { FxDisplay } from '../fx/fx-display.js';
import type { IdempotencyContext } from '../idempotency/idempotency-key.decorator.js';
import { IdempotencyStore, StoredResponse } from '../idempotency/idempotency.store.js';
import type { CreateWalletDto } from './dto/create-wallet.dto.js';
import type { UpdateWalletDto } from './dto/update-wallet.dto.js';
import { LIMIT_NAMES } from './dto/wallet-limits.dto.js';
import { toWalletDto, WalletDto, type WalletRow } from './dto/wallet.dto.js';
import { WalletEntity } from './wallet.entity.js';

/** What a due hold counted on the wallet's debit usage, for the day (false) or the month (true); see debit_usage_returned.sql. */
const dueHoldsCounted = (wholeMonth: boolean) => `
  (SELECT coalesce(sum(debit_usage_returned(w.debit_period, h.debit_counted_on, h.amount, ${wholeMonth})), 0) FROM holds h
    WHERE h.wallet_id = w.id AND hold_is_due(h.status, h.expires_at, $2))`;

/**
 * A wallet as the API shows it, columns aliased to the entity's names. `held` leaves out holds that
 * are due ($2 is now) but not yet swept: they stop counting the moment they expire. Only a wallet
 * with something held pays for that lookup. The debit usage likewise: what the stored period counted, 0
 * once that period is over (debit_usage.sql rolls it forward at the next debit), less what due holds
 * counted; resets at the end of the current UTC day and month (or of the stored period, if a move stamped
 * just after midnight got there before this read's clock).
 */
const WALLET_COLUMNS = `
  w.id, w.owner_id AS "ownerId", w.currency, w.status, w.balance AS "balanceMinor",
  CASE WHEN w.held = 0 THEN 0
       ELSE w.held - (SELECT coalesce(sum(h.amount), 0) FROM holds h
                       WHERE h.wallet_id = w.id AND hold_is_due(h.status, h.expires_at, $2))
  END AS "heldMinor",
  w.overdraft_limit AS "overdraftLimitMinor", w.version, w.metadata, w.created_at AS "createdAt", w.updated_at AS "updatedAt",
  w.limit_daily_debit AS "limitDailyDebitMinor", w.limit_monthly_debit AS "limitMonthlyDebitMinor",
  w.limit_max_balance AS "limitMaxBalanceMinor",
  CASE WHEN w.debit_period IS NULL OR w.debit_period < utc_day($2) THEN 0
       WHEN w.held = 0 THEN w.debit_day_used
       ELSE w.debit_day_used - ${dueHoldsCounted(false)}
  END AS "dailyDebitUsedMinor",
  CASE WHEN w.debit_period IS NULL OR utc_month(w.debit_period) < utc_month(utc_day($2)) THEN 0
       WHEN w.held = 0 THEN w.debit_month_used
       ELSE w.debit_month_used - ${dueHoldsCounted(true)}
  END AS "monthlyDebitUsedMinor",
  to_char((greatest(w.debit_period, utc_day($2)) + 1)::timestamp, 'YYYY-MM-DD"T00:00:00.000Z"') AS "dailyDebitResetsAt",
  to_char(utc_month(greatest(w.debit_period, utc_day($2)))::timestamp + interval '1 month', 'YYYY-MM-DD"T00:00:00.000Z"')
    AS "monthlyDebitResetsAt"`;
const SELECT_WALLET_BY_ID = `SELECT ${WALLET_COLUMNS} FROM wallets w WHERE w.id = $1 AND w.tenant_id = $3`;
const SELECT_WALLETS_BY_OWNER = `SELECT ${WALLET_COLUMNS} FROM wallets w WHERE w.owner_id = $1 AND w.tenant_id = $3 ORDER BY w.currency`;
/** Locks the wallet, then releases its due holds (the CTE makes the lock come first); one round trip. */
const LOCK_WALLET_RELEASING_DUE_HOLDS = `
  WITH locked AS (SELECT * FROM wallets WHERE id = $1 AND tenant_id = $3 FOR UPDATE)
  SELECT locked.id, locked.status, locked.balance AS "balanceMinor",
         locked.held - release_due_holds(locked.id, $2) AS "heldMinor", locked.overdraft_limit AS "overdraftLimitMinor",
         locked.version
    FROM locked`;

export const walletNotFound = (id: string) => new DomainError('WALLET_NOT_FOUND', `Wallet ${id} does not exist.`);

@Injectable()
export class WalletsService {
  constructor(
    @InjectRepository(WalletEntity) private readonly wallets: Repository<WalletEntity>,
    private readonly idempotency: IdempotencyStore,
    private readonly clock: Clock,
    private readonly fx: FxDisplay,
  ) {}

  create(tenantId: string, input: CreateWalletDto, idempotency: IdempotencyContext | null): Promise<StoredResponse<WalletDto>> {
    return this.idempotency.runOnce('wallet_create', idempotency, async (manager) => {
      // ON CONFLICT DO NOTHING instead of catching the unique violation: the transaction stays usable.
      const inserted = await manager
        .createQueryBuilder()
        .insert()
        .into(WalletEntity)
        .values({
          tenantId,
          ownerId: input.ownerId,
          currency: input.currency,
          overdraftLimitMinor: String(input.overdraftLimit ?? 0),
          limitDailyDebitMinor: limitForDb(input.limits?.dailyDebit),
          limitMonthlyDebitMinor: limitForDb(input.limits?.monthlyDebit),
          limitMaxBalanceMinor: limitForDb(input.limits?.maxBalance),
          metadata: input.metadata ?? {},
        } as QueryDeepPartialEntity<WalletEntity>)
        .orIgnore()
        .returning(['id'])
        .execute();
      const id = (inserted.raw as { id: string }[])[0]?.id;
      if (!id) {
        throw new DomainError('WALLET_ALREADY_EXISTS', `Owner ${input.ownerId} already has a ${input.currency} wallet.`);
      }
      const [wallet]: WalletRow[] = await manager.query(SELECT_WALLET_BY_ID, [id, this.clock.now(), tenantId]);
      return { status: 201, body: toWalletDto(wallet!) };
    });
  }

  /** With `displayCurrency`, the wallet's amounts in it too (`display`, an estimate at the current rate). */
  async get(tenantId: string, id: string, displayCurrency?: string): Promise<WalletDto> {
    // The hottest read: plain SQL, because building it with TypeORM's query builder on every call was
    // 9 % of the service's CPU under load, and a named prepared statement, because planning it on every call
    // cost PostgreSQL six times what running it does (docs/benchmarks.md). Columns are aliased to the entity's names.
    const [wallet] = await preparedQuery<WalletRow>(this.wallets.manager.connection, 'wallet_by_id', SELECT_WALLET_BY_ID, [id, this.clock.now(), tenantId]);
    if (!wallet) throw walletNotFound(id);
    const dto = toWalletDto(wallet);
    if (displayCurrency === undefined) return dto;
    return { ...dto, display: await this.fx.show(tenantId, dto.currency, displayCurrency, dto) };
  }

  async listByOwner(tenantId: string, ownerId: string): Promise<WalletDto[]> {
    const wallets = await preparedQuery<WalletRow>(this.wallets.manager.connection, 'wallets_by_owner', SELECT_WALLETS_BY_OWNER, [ownerId, this.clock.now(), tenantId]);
    return wallets.map(toWalletDto);
  }

  /**
   * Status, overdraft limit, limits and metadata change under the wallet's row lock, so no movement interleaves.
   * A limit sent replaces that limit (null removes it); the others stay. A limit below what is already used
   * (or a maxBalance below the balance) is accepted: it moves nothing, and refuses the moves it would not allow.
   */
  update(tenantId: string, id: string, changes: UpdateWalletDto): Promise<WalletDto> {
    return this.wallets.manager.transaction(async (manager: EntityManager) => {
      const now = this.clock.now();
      // Due holds are released first: closing needs held = 0, and a new overdraft limit is checked
      // against what is really available.
      const [locked]: LockedWallet[] = await manager.query(LOCK_WALLET_RELEASING_DUE_HOLDS, [id, now, tenantId]);
      if (!locked) throw walletNotFound(id);
      assertChangeAllowed(locked, changes);
      // One UPDATE … RETURNING: no second read while the row is locked.
      // TypeORM answers an UPDATE with [rows, affected count].
      const [[updated]]: [WalletRow[], number] = await manager.query(
        `UPDATE wallets w SET status = coalesce($3, w.status), overdraft_limit = coalesce($4, w.overdraft_limit),
                metadata = coalesce($5::jsonb, w.metadata),
                limit_daily_debit = CASE WHEN $6::jsonb ? 'dailyDebit' THEN ($6::jsonb->>'dailyDebit')::bigint ELSE w.limit_daily_debit END,
                limit_monthly_debit = CASE WHEN $6::jsonb ? 'monthlyDebit' THEN ($6::jsonb->>'monthlyDebit')::bigint
                                           ELSE w.limit_monthly_debit END,
                limit_max_balance = CASE WHEN $6::jsonb ? 'maxBalance' THEN ($6::jsonb->>'maxBalance')::bigint ELSE w.limit_max_balance END,
                version = w.version + 1, updated_at = $2
          WHERE w.id = $1
         RETURNING ${WALLET_COLUMNS}`,
        [
          id,
          now,
          changes.status ?? null,
          changes.overdraftLimit ?? null,
          changes.metadata ? JSON.stringify(changes.metadata) : null,
          JSON.stringify(limitChanges(changes.limits)),
        ],
      );
      return toWalletDto(updated);
    });
  }
}

/** A limit as the column takes it: null for none (absent on create is none too). */
function limitForDb(limit: number | null | undefined): string | null {
  return limit === undefined || limit === null ? null : String(limit);
}

/** The limits a PATCH sends, by name; null removes one, an absent one is not a key. */
function limitChanges(limits: UpdateWalletDto['limits']): Record<string, number | null> {
  const changes: Record<string, number | null> = {};
  for (const name of LIMIT_NAMES) {
    const value = limits?.[name];
    if (value !== undefined) changes[name] = value;
  }
  return changes;
}

/** The rules the schema's CHECK constraints also keep, checked first to answer with a precise code. */
type LockedWallet = Pick<WalletEntity, 'id' | 'status' | 'balanceMinor' | 'heldMinor' | 'overdraftLimitMinor'>;

function assertChangeAllowed(wallet: LockedWallet, changes: UpdateWalletDto): void {
  const balance = BigInt(wallet.balanceMinor);
  const held = BigInt(wallet.heldMinor);
  if (wallet.status === 'closed' && (changes.status ?? 'closed') !== 'closed') {
    throw new DomainError('WALLET_NOT_ACTIVE', `Wallet ${wallet.id} is closed; a closed wallet cannot be reopened.`);
  }
  if (changes.status === 'closed' && (balance !== 0n || held !== 0n)) {
    throw new DomainError('WALLET_NOT_EMPTY', `Wallet ${wallet.id} has a balance of ${balance} and ${held} held; empty it before closing.`);
  }
  if (changes.overdraftLimit !== undefined && balance - held < -BigInt(changes.overdraftLimit)) {
    throw new DomainError(
      'INSUFFICIENT_FUNDS',
      `Wallet ${wallet.id} has ${balance - held} available; an overdraft limit of ${changes.overdraftLimit} would leave it below the limit.`,
    );
  }
}
