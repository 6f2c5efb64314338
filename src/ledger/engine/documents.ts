import type { Metadata } from '../../common/validation/metadata.js';
import type { HoldStatus } from '../model/hold.entity.js';
import type { TransactionType } from '../model/transaction.entity.js';

/**
 * The JSON documents the posting SQL returns (src/ledger/sql/transaction_document.sql, hold_document.sql):
 * snake_case columns as PostgreSQL renders them. bigint columns may arrive as numbers or strings; the DTO
 * mappers convert them with minorUnitsFromDb.
 */
export interface TransactionDocument {
  id: string;
  type: TransactionType;
  status: 'posted';
  amount: number;
  currency: string;
  wallet_id: string | null;
  from_wallet_id: string | null;
  to_wallet_id: string | null;
  hold_id: string | null;
  refund_of: string | null;
  refunded_amount: number | string;
  /** Conversions only (null otherwise): the quote used, its target currency, converted amount and rate (a decimal string). */
  quote_id: string | null;
  to_currency: string | null;
  converted_amount: number | string | null;
  rate: string | null;
  reference: string | null;
  description: string | null;
  metadata: Metadata;
  created_at: string;
  entries: { wallet_id: string | null; account: string | null; amount: number; balance_after: number | null; hash: string | null }[];
}

export interface HoldDocument {
  id: string;
  wallet_id: string;
  currency: string;
  amount: number | string;
  captured_amount: number | string;
  status: HoldStatus;
  expires_at: string | null;
  reference: string | null;
  description: string | null;
  metadata: Metadata;
  created_at: string;
  released_at: string | null;
}
