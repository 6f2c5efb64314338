import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DomainError } from '../../common/errors/domain-error.js';
import { CursorCodec } from '../../common/pagination/cursor.js';
import { walletNotFound } from '../../wallets/wallets.service.js';
import type { HistoryQuery } from './dto/history.query.js';
import type { TransactionDocument } from '../engine/documents.js';
import { TransactionDto, TransactionPageDto, toTransactionDto } from './dto/transaction.dto.js';

/** Reads of the ledger; transactions are rendered by the same SQL function that renders them when posted. */
@Injectable()
export class LedgerReadsService {
  constructor(
    private readonly dataSource: DataSource,
    @Inject(CursorCodec) private readonly cursors: CursorCodec,
  ) {}

  async getTransaction(tenantId: string, id: string): Promise<TransactionDto> {
    const [row] = await this.dataSource.query('SELECT transaction_document(id) AS doc FROM transactions WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
    if (!row?.doc) throw new DomainError('TRANSACTION_NOT_FOUND', `Transaction ${id} does not exist.`);
    return toTransactionDto(row.doc as TransactionDocument);
  }

  /**
   * A wallet's transactions, newest first by default. Pages are keyed on the wallet's entries in ledger
   * order, which new postings only extend, so a page never repeats or skips a transaction meanwhile.
   */
  async history(tenantId: string, walletId: string, query: HistoryQuery): Promise<TransactionPageDto> {
    const descending = query.order !== 'asc';
    const list = `${walletId}:${query.order}`;
    const afterEntryId = query.cursor !== undefined ? this.cursors.decode(list, query.cursor) : null;
    // Two fixed spellings rather than a CASE, so PostgreSQL walks the (wallet_id, created_at, id) index in
    // order. (created_at, id) is ledger order on a wallet (write_legs stamps it so); the cursor names the last
    // entry shown, and the page goes on from that entry's place in it.
    const [direction, comparison] = descending ? ['DESC', '<'] : ['ASC', '>'];
    const rows: { entry_id: string; doc: TransactionDocument | null }[] = await this.dataSource.query(
      `WITH wallet AS (SELECT id FROM wallets WHERE id = $1 AND tenant_id = $7)
       SELECT page.entry_id, transaction_document(page.transaction_id) AS doc
         FROM wallet
         LEFT JOIN LATERAL (
           SELECT e.id AS entry_id, e.transaction_id
             FROM entries e JOIN transactions t ON t.id = e.transaction_id
            WHERE e.wallet_id = wallet.id
              AND ($2::text IS NULL OR t.type = $2)
              AND ($3::timestamptz IS NULL OR e.created_at >= $3)
              AND ($4::timestamptz IS NULL OR e.created_at < $4)
              AND ($5::bigint IS NULL OR (e.created_at, e.id) ${comparison} (SELECT c.created_at, c.id FROM entries c WHERE c.id = $5))
            ORDER BY e.created_at ${direction}, e.id ${direction}
            LIMIT $6
         ) page ON true`,
      [walletId, query.type ?? null, query.from ?? null, query.to ?? null, afterEntryId, query.limit + 1, tenantId],
    );
    if (rows.length === 0) throw walletNotFound(walletId);
    const found = rows.filter((row) => row.doc !== null);
    const page = found.slice(0, query.limit);
    return {
      data: page.map((row) => toTransactionDto(row.doc as TransactionDocument)),
      nextCursor: found.length > query.limit ? this.cursors.encode(list, page[page.length - 1].entry_id) : null,
    };
  }
}
