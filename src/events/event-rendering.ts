import { minorUnitsFromDb } from '../common/money/amount.js';
import type { HoldDocument, TransactionDocument } from '../ledger/engine/documents.js';
import { toHoldDto } from '../ledger/holds/dto/hold.dto.js';
import { toTransactionDto } from '../ledger/movements/dto/transaction.dto.js';
import { toWalletDtoFromDocument, type WalletDocument } from '../wallets/dto/wallet.dto.js';
import type { EventData, EventDto } from './dto/event.dto.js';
import type { EventType } from './event-types.js';

/** An events row as the feed query selects it, data already rendered by event_data() (src/ledger/sql/event_data.sql). */
export interface EventRow {
  sequence: string;
  id: string;
  type: EventType;
  created_at: Date;
  data: { transaction?: TransactionDocument; hold?: HoldDocument; wallet?: WalletDocument };
}

/**
 * The Event the API and the webhooks show: the same Transaction, Hold and Wallet shapes their own routes
 * answer with. A hold is shown as stored at the change (not re-judged against the clock), so an event
 * reads the same however late it is read or redelivered.
 */
export function toEventDto(row: EventRow): EventDto {
  return {
    id: row.id,
    sequence: minorUnitsFromDb(row.sequence),
    type: row.type,
    createdAt: row.created_at.toISOString(),
    data: dataOf(row),
  };
}

function dataOf(row: EventRow): EventData {
  if (row.data.transaction) return { transaction: toTransactionDto(row.data.transaction) };
  if (row.data.hold) return { hold: toHoldDto(row.data.hold, null) };
  if (row.data.wallet) return { wallet: toWalletDtoFromDocument(row.data.wallet) };
  throw new Error(`event ${row.id} (${row.type}) has no data`);
}
