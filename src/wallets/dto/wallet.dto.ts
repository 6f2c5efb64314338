import { ApiProperty } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../common/money/amount.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { WalletEntity, WalletStatus } from '../wallet.entity.js';

const money = (description: string, minimum = -MAX_AMOUNT_MINOR) =>
  ApiProperty({ type: 'integer', format: 'int64', minimum, maximum: MAX_AMOUNT_MINOR, description, example: 12500 });

export class WalletDto {
  @ApiProperty({ format: 'uuid', example: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10' }) id: string;
  @ApiProperty({ example: 'user_8412', minLength: 1, maxLength: 128 }) ownerId: string;
  @ApiProperty({ example: 'EUR', pattern: '^[A-Z]{3}$' }) currency: string;
  @ApiProperty({ enum: ['active', 'frozen', 'closed'] }) status: WalletStatus;
  @money('Posted ledger balance, minor units') balance: number;
  @money('Sum of active holds, minor units', 0) held: number;
  @money('balance − held, minor units') available: number;
  @money('How far below zero `available` may go', 0) overdraftLimit: number;
  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50, example: { tier: 'gold' } }) metadata: Metadata;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class WalletListDto {
  @ApiProperty({ type: [WalletDto], maxItems: 1000 }) data: WalletDto[];
}

export function toWalletDto(wallet: WalletEntity): WalletDto {
  const balance = minorUnitsFromDb(wallet.balanceMinor);
  const held = minorUnitsFromDb(wallet.heldMinor);
  return {
    id: wallet.id,
    ownerId: wallet.ownerId,
    currency: wallet.currency,
    status: wallet.status,
    balance,
    held,
    available: balance - held,
    overdraftLimit: minorUnitsFromDb(wallet.overdraftLimitMinor),
    metadata: wallet.metadata as Metadata,
    createdAt: wallet.createdAt.toISOString(),
    updatedAt: wallet.updatedAt.toISOString(),
  };
}

/** A wallet row as PostgreSQL's to_jsonb renders it (the wallet.* events store it so: src/ledger/sql/wallet_event.sql). */
export interface WalletDocument {
  id: string;
  owner_id: string;
  currency: string;
  status: WalletStatus;
  balance: number | string;
  held: number | string;
  overdraft_limit: number | string;
  metadata: Metadata;
  created_at: string;
  updated_at: string;
}

export function toWalletDtoFromDocument(doc: WalletDocument): WalletDto {
  const balance = minorUnitsFromDb(doc.balance);
  const held = minorUnitsFromDb(doc.held);
  return {
    id: doc.id,
    ownerId: doc.owner_id,
    currency: doc.currency.trim(),
    status: doc.status,
    balance,
    held,
    available: balance - held,
    overdraftLimit: minorUnitsFromDb(doc.overdraft_limit),
    metadata: doc.metadata,
    createdAt: new Date(doc.created_at).toISOString(),
    updatedAt: new Date(doc.updated_at).toISOString(),
  };
}
