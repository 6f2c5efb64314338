import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../../common/money/amount.js';
import type { Metadata } from '../../../common/validation/metadata.js';
import { RATE_MAX_LENGTH, RATE_PATTERN } from '../../../common/money/fx-rate.js';
import type { TransactionDocument } from '../../engine/documents.js';
import type { TransactionType } from '../../model/transaction.entity.js';
import { TRANSACTION_TYPES } from './history.query.js';

export class EntryDto {
  @ApiPropertyOptional({ format: 'uuid', description: 'The wallet this leg posts to' }) walletId?: string;
  @ApiPropertyOptional({
    example: 'world:EUR',
    maxLength: 16,
    description: 'The system account this leg posts to (money entering or leaving: world; captured: revenue; converted between currencies: fx)',
  })
  account?: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: -MAX_AMOUNT_MINOR, maximum: MAX_AMOUNT_MINOR, example: -2500, description: 'Signed amount; the entries of a transaction sum to zero' })
  amount: number;
  @ApiPropertyOptional({ type: 'integer', format: 'int64', minimum: -MAX_AMOUNT_MINOR, maximum: MAX_AMOUNT_MINOR, description: "The wallet's balance right after this entry" })
  balanceAfter?: number;
  @ApiPropertyOptional({
    pattern: '^[0-9a-f]{64}$', minLength: 64, maxLength: 64, example: '5f2b8c0e4a7d19b3c6e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6',
    description: "Wallet legs: this entry's link in the wallet's tamper-evident chain, SHA-256 (hex) over the previous entry's hash and this entry's content (README \"Checking a statement\")",
  })
  hash?: string;
}

export class TransactionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: TRANSACTION_TYPES }) type: TransactionType;
  @ApiProperty({ enum: ['posted'] }) status: 'posted';
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 2500 }) amount: number;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$', description: 'The currency of `amount`; for a conversion, the currency converted from' })
  currency: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Deposits, withdrawals and refunds of deposits: the wallet' }) walletId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Transfers, captures, refunds and conversions: the paying wallet (absent when the revenue account pays a refund)' })
  fromWalletId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Transfers, captures, refunds and conversions: the receiving wallet (absent for a capture to the revenue account)' })
  toWalletId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Captures: the hold captured' }) holdId?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Refunds: the transaction refunded' }) refundOf?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'Conversions: the FX quote they used (a quote is used at most once)' }) quoteId?: string;
  @ApiPropertyOptional({ example: 'USD', pattern: '^[A-Z]{3}$', description: 'Conversions: the currency converted to' }) toCurrency?: string;
  @ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 2710,
    description: 'Conversions: what reached `toWalletId`, in minor units of `toCurrency` (the quote\'s convertedAmount)',
  })
  convertedAmount?: number;
  @ApiPropertyOptional({
    type: 'string', pattern: RATE_PATTERN, maxLength: RATE_MAX_LENGTH, example: '1.0842',
    description: 'Conversions: the quote\'s rate, major units of `toCurrency` per major unit of `currency`, as a decimal string',
  })
  rate?: string;
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 0,
    description: 'Deposits, transfers and captures: how much has been refunded so far (always 0 for other types)',
  })
  refundedAmount: number;
  @ApiPropertyOptional({ maxLength: 255 }) reference?: string;
  @ApiPropertyOptional({ maxLength: 1000 }) description?: string;
  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50 }) metadata: Metadata;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({
    type: [EntryDto], minItems: 2, maxItems: 4,
    description: 'Two legs that sum to zero; a conversion has four, two per currency, and each currency sums to zero on its own',
  })
  entries: EntryDto[];
}

export class TransactionPageDto {
  @ApiProperty({ type: [TransactionDto], maxItems: 100 }) data: TransactionDto[];
  @ApiProperty({ type: 'string', nullable: true, maxLength: 200, description: 'Pass as `cursor` for the next page; null on the last page' })
  nextCursor: string | null;
}

const present = <K extends string, V>(key: K, value: V | null): { [P in K]?: V } =>
  (value === null ? {} : { [key]: value }) as { [P in K]?: V };

export function toTransactionDto(doc: TransactionDocument): TransactionDto {
  return {
    id: doc.id,
    type: doc.type,
    status: doc.status,
    amount: minorUnitsFromDb(doc.amount),
    currency: doc.currency,
    ...present('walletId', doc.wallet_id),
    ...present('fromWalletId', doc.from_wallet_id),
    ...present('toWalletId', doc.to_wallet_id),
    ...present('holdId', doc.hold_id),
    ...present('refundOf', doc.refund_of),
    ...present('quoteId', doc.quote_id ?? null),
    ...present('toCurrency', doc.to_currency ?? null),
    ...present('convertedAmount', doc.converted_amount == null ? null : minorUnitsFromDb(doc.converted_amount)),
    ...present('rate', doc.rate ?? null),
    refundedAmount: minorUnitsFromDb(doc.refunded_amount),
    ...present('reference', doc.reference),
    ...present('description', doc.description),
    metadata: doc.metadata,
    createdAt: new Date(doc.created_at).toISOString(),
    entries: doc.entries.map((entry) =>
      entry.wallet_id !== null
        ? {
            walletId: entry.wallet_id,
            amount: minorUnitsFromDb(entry.amount),
            balanceAfter: minorUnitsFromDb(entry.balance_after ?? NaN),
            ...present('hash', entry.hash ?? null),
          }
        : { account: entry.account ?? undefined, amount: minorUnitsFromDb(entry.amount) },
    ),
  };
}
