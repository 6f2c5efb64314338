import { ApiProperty } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR } from '../../common/money/amount.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { TransactionType } from '../../ledger/model/transaction.entity.js';

/** Entries a JSON statement carries at most; the CSV form streams any number. */
export const MAX_STATEMENT_JSON_ENTRIES = 1000;

const HASH = { pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64, example: '5f2b8c0e4a7d19b3c6e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6' } as const;

const signedMoney = (description: string, example: number) =>
  ApiProperty({ type: 'integer', format: 'int64', minimum: -MAX_AMOUNT_MINOR, maximum: MAX_AMOUNT_MINOR, description, example });

export class StatementEntryDto {
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 18234, description: 'Ledger entry number: it only grows, and orders the statement' })
  entryId: number;

  @ApiProperty({
    format: 'date-time',
    example: '2026-11-03T09:15:27.120Z',
    description: "When the entry reached the wallet: never earlier than the wallet's previous entry, so time and entryId agree",
  })
  createdAt: string;

  @ApiProperty({ format: 'uuid', example: '019a5f3c-7d2e-7b41-9c3a-2f5e8d1b6a90' })
  transactionId: string;

  @ApiProperty({ enum: ['deposit', 'withdrawal', 'transfer', 'capture', 'refund', 'conversion'], example: 'deposit' })
  type: TransactionType;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 255, example: 'card-7731' })
  reference: string | null;

  @ApiProperty({ type: 'string', nullable: true, maxLength: 1000, example: 'Top-up by card' })
  description: string | null;

  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50, example: { orderId: 'ord_1042' }, description: "The transaction's metadata" })
  metadata: Metadata;

  @signedMoney("Signed: money into the wallet is positive, money out negative", 2500)
  amount: number;

  @signedMoney("The wallet's balance right after this entry (running balance)", 12500)
  balanceAfter: number;

  @ApiProperty({
    ...HASH,
    description: "This entry's link in the wallet's tamper-evident chain: SHA-256 (hex) over the previous entry's hash and this entry's content. README \"Checking a statement\" recomputes it from the fields above.",
  })
  hash: string;
}

export class StatementDto {
  @ApiProperty({ format: 'uuid', example: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10' })
  walletId: string;

  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' })
  currency: string;

  @ApiProperty({ format: 'date-time', example: '2026-11-01T00:00:00.000Z', description: 'Start of the period, inclusive' })
  from: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T00:00:00.000Z', description: 'End of the period, exclusive' })
  to: string;

  @signedMoney('The balance just before `from`', 10000)
  openingBalance: number;

  @signedMoney('The balance at the end of the period: the last running balance, or the opening balance when the period has no entries. openingBalance + Σ amount = closingBalance.', 12500)
  closingBalance: number;

  @ApiProperty({
    ...HASH,
    type: 'string',
    nullable: true,
    description: "The chain hash of the wallet's last entry before `from` (null before its first entry): what the first entry's hash chains from",
  })
  openingHash: string | null;

  @ApiProperty({
    ...HASH,
    type: 'string',
    nullable: true,
    description: 'The chain hash of the last entry in the period, or openingHash when the period has none: keep it, and a later statement must chain from it',
  })
  closingHash: string | null;

  @ApiProperty({ type: [StatementEntryDto], maxItems: MAX_STATEMENT_JSON_ENTRIES, description: 'Every entry of the wallet stamped in [from, to), in ledger order' })
  entries: StatementEntryDto[];
}
