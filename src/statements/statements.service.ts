import { Injectable } from '@nestjs/common';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock/clock.js';
import { validationFailed } from '../common/errors/domain-error.js';
import { minorUnitsFromDb } from '../common/money/amount.js';
import type { Metadata } from '../common/validation/metadata.js';
import type { TransactionType } from '../ledger/model/transaction.entity.js';
import { walletNotFound } from '../wallets/wallets.service.js';
import { CsvExporter } from './csv-export.js';
import { compactTimestamp, type CsvCell } from './csv.js';
import type { BalanceAtDto } from './dto/balance-at.dto.js';
import type { BalanceAtQuery } from './dto/balance-at.query.js';
import { MAX_STATEMENT_JSON_ENTRIES, StatementDto, StatementEntryDto } from './dto/statement.dto.js';
import type { StatementQuery } from './dto/statement.query.js';

/** The period of a statement: [from, to). */
export interface StatementPeriod {
  from: Date;
  to: Date;
}

const BEGINNING_OF_LEDGER = new Date(0);

/** The statement CSV's columns; `section` is opening, entry or closing. */
export const STATEMENT_CSV_COLUMNS = [
  'section', 'entryId', 'createdAt', 'transactionId', 'type', 'reference', 'description', 'amount', 'balanceAfter', 'currency', 'hash',
] as const;

/**
 * The wallet and its balance and chain hash just before `from`: the running balance and hash of its last
 * entry stamped before `from` (0 and null before its first). A wallet's stamps follow ledger order
 * (write_legs), so the newest by (created_at, id) is the last in ledger order, one step down the
 * (wallet_id, created_at, id) index however long the history. $1 wallet, $2 from, $3 tenant (another
 * tenant's wallet is not found).
 */
const OPENING_SQL = `
  SELECT w.currency, coalesce(before.balance_after, 0) AS opening_balance, encode(before.hash, 'hex') AS opening_hash
    FROM wallets w
    LEFT JOIN LATERAL (SELECT e.balance_after, e.hash FROM entries e
                        WHERE e.wallet_id = w.id AND e.created_at < $2
                        ORDER BY e.created_at DESC, e.id DESC LIMIT 1) before ON true
   WHERE w.id = $1 AND w.tenant_id = $3`;

/**
 * The wallet's entries stamped in [$2, $3), in ledger order, at most $4 (NULL: all). (created_at, id) is
 * ledger order and the index's order, so even a year-long export streams without a sort.
 */
const ENTRIES_SQL = `
  SELECT e.id AS entry_id, e.created_at, e.transaction_id, t.type, t.reference, t.description, t.metadata, e.amount, e.balance_after,
         encode(e.hash, 'hex') AS hash
    FROM entries e
    JOIN transactions t ON t.id = e.transaction_id
   WHERE e.wallet_id = $1 AND e.created_at >= $2 AND e.created_at < $3
   ORDER BY e.created_at, e.id
   LIMIT $4`;

/** Both in one statement (one snapshot, one round trip); no row when the wallet does not exist. */
const STATEMENT_SQL = `
  WITH wallet AS (${OPENING_SQL.replace('$3', '$5')})
  SELECT wallet.currency, wallet.opening_balance, wallet.opening_hash, line.*
    FROM wallet
    LEFT JOIN (${ENTRIES_SQL}) line ON true
   ORDER BY line.created_at, line.entry_id`;

/**
 * Balance, held and available as they stood at $2: the running balance of the last entry stamped at or
 * before it, and the holds placed by then that had not yet ended (captured, voided or expired) by then.
 */
const BALANCE_AT_SQL = `
  SELECT w.currency,
         coalesce((SELECT e.balance_after FROM entries e
                    WHERE e.wallet_id = w.id AND e.created_at <= $2
                    ORDER BY e.created_at DESC, e.id DESC LIMIT 1), 0) AS balance,
         (SELECT coalesce(sum(h.amount), 0) FROM holds h
           WHERE h.wallet_id = w.id AND h.created_at <= $2
             AND (h.released_at IS NULL OR h.released_at > $2)
             AND (h.expires_at IS NULL OR h.expires_at > $2)) AS held
    FROM wallets w
   WHERE w.id = $1 AND w.tenant_id = $3`;

interface OpeningRow {
  currency: string;
  opening_balance: string;
  opening_hash: string | null;
}

interface EntryRow {
  entry_id: string;
  created_at: Date;
  transaction_id: string;
  type: TransactionType;
  reference: string | null;
  description: string | null;
  metadata: Metadata;
  amount: string;
  balance_after: string;
  hash: string;
}

function entryNumber(value: string): number {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`entry id out of safe range: ${value}`);
  return parsed;
}

function toEntryDto(row: EntryRow): StatementEntryDto {
  return {
    entryId: entryNumber(row.entry_id),
    createdAt: row.created_at.toISOString(),
    transactionId: row.transaction_id,
    type: row.type,
    reference: row.reference,
    description: row.description,
    metadata: row.metadata,
    amount: minorUnitsFromDb(row.amount),
    balanceAfter: minorUnitsFromDb(row.balance_after),
    hash: row.hash,
  };
}

/** Statements (a wallet's entries over a period, with opening and closing balances) and balances in the past. */
@Injectable()
export class StatementsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly clock: Clock,
    private readonly exporter: CsvExporter,
  ) {}

  /** The period a query asks for, defaults filled in; from after to is the caller's mistake. */
  period(query: StatementQuery): StatementPeriod {
    const from = query.from !== undefined ? new Date(query.from) : BEGINNING_OF_LEDGER;
    const to = query.to !== undefined ? new Date(query.to) : this.clock.now();
    if (from.getTime() > to.getTime()) {
      throw validationFailed(`from (${from.toISOString()}) must not be after to (${to.toISOString()}).`, [
        { field: 'from', message: 'must not be after to' },
      ]);
    }
    return { from, to };
  }

  /** JSON: at most MAX_STATEMENT_JSON_ENTRIES entries; a longer period is refused in favour of the CSV. */
  async statement(tenantId: string, walletId: string, period: StatementPeriod): Promise<StatementDto> {
    const rows: (OpeningRow & Partial<EntryRow>)[] = await this.dataSource.query(STATEMENT_SQL, [
      walletId,
      period.from.toISOString(),
      period.to.toISOString(),
      MAX_STATEMENT_JSON_ENTRIES + 1,
      tenantId,
    ]);
    if (rows.length === 0) throw walletNotFound(walletId);
    const lines = rows.filter((row) => row.entry_id != null) as (OpeningRow & EntryRow)[];
    if (lines.length > MAX_STATEMENT_JSON_ENTRIES) {
      throw validationFailed(
        `The period holds more than ${MAX_STATEMENT_JSON_ENTRIES} entries: narrow from/to, or ask for the whole period as CSV (Accept: text/csv), which has no limit.`,
        [{ field: 'to', message: `the period holds more than ${MAX_STATEMENT_JSON_ENTRIES} entries` }],
      );
    }
    const openingBalance = minorUnitsFromDb(rows[0].opening_balance);
    const openingHash = rows[0].opening_hash;
    const entries = lines.map(toEntryDto);
    const last = entries.at(-1);
    return {
      walletId,
      currency: rows[0].currency,
      from: period.from.toISOString(),
      to: period.to.toISOString(),
      openingBalance,
      closingBalance: last ? last.balanceAfter : openingBalance,
      openingHash,
      closingHash: last ? last.hash : openingHash,
      entries,
    };
  }

  /**
   * CSV, streamed: an `opening` row, one `entry` row per entry, a `closing` row last (its absence means the
   * export was cut). The opening balance and the entries are read in one snapshot.
   */
  async streamStatementCsv(tenantId: string, walletId: string, period: StatementPeriod, response: Response): Promise<void> {
    const from = period.from.toISOString();
    const to = period.to.toISOString();
    await this.exporter.run(response, async (session) => {
      const [opening] = await session.rows<OpeningRow>(OPENING_SQL, [walletId, from, tenantId]);
      if (!opening) throw walletNotFound(walletId);
      const { currency } = opening;
      let balance = minorUnitsFromDb(opening.opening_balance);
      let hash = opening.opening_hash;
      const filename = `statement-${walletId}-${compactTimestamp(period.from)}-${compactTimestamp(period.to)}.csv`;
      await session.sendCsv<EntryRow>(response, filename, ENTRIES_SQL, [walletId, from, to, null], {
        head: [[...STATEMENT_CSV_COLUMNS], ['opening', null, from, null, null, null, null, null, balance, currency, hash]],
        row: (row) => {
          const entry = toEntryDto(row);
          balance = entry.balanceAfter;
          hash = entry.hash;
          return ['entry', entry.entryId, entry.createdAt, entry.transactionId, entry.type, entry.reference, entry.description, entry.amount, entry.balanceAfter, currency, entry.hash] satisfies CsvCell[];
        },
        tail: () => [['closing', null, to, null, null, null, null, null, balance, currency, hash]],
      });
    });
  }

  async balanceAt(tenantId: string, walletId: string, query: BalanceAtQuery): Promise<BalanceAtDto> {
    const now = this.clock.now();
    const at = query.at !== undefined ? new Date(query.at) : now;
    if (at.getTime() > now.getTime()) {
      throw validationFailed(`at (${at.toISOString()}) is in the future; the balance is known up to now (${now.toISOString()}).`, [
        { field: 'at', message: 'must not be in the future' },
      ]);
    }
    const [row]: { currency: string; balance: string; held: string }[] = await this.dataSource.query(BALANCE_AT_SQL, [walletId, at.toISOString(), tenantId]);
    if (!row) throw walletNotFound(walletId);
    const balance = minorUnitsFromDb(row.balance);
    const held = minorUnitsFromDb(row.held);
    return { walletId, currency: row.currency, at: at.toISOString(), balance, held, available: balance - held };
  }
}
