import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RATE_MAX_LENGTH, RATE_PATTERN } from '../../common/money/fx-rate.js';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../common/money/amount.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { WalletEntity, WalletStatus } from '../wallet.entity.js';

const money = (description: string, minimum = -MAX_AMOUNT_MINOR) =>
  ApiProperty({ type: 'integer', format: 'int64', minimum, maximum: MAX_AMOUNT_MINOR, description, example: 12500 });

/** The wallet's amounts in another currency (GET /v1/wallets/{id}?displayCurrency=). */
export class WalletDisplayDto {
  @ApiProperty({ example: 'USD', pattern: '^[A-Z]{3}$' }) currency: string;
  @money('The balance in minor units of `currency`, at `rate`, rounded down (towards −∞)') balance: number;
  @money('available in minor units of `currency`, at `rate`, rounded down (towards −∞), converted on its own') available: number;
  @ApiProperty({ type: 'string', pattern: RATE_PATTERN, maxLength: RATE_MAX_LENGTH, example: '1.0842', description: "Major units of `currency` per major unit of the wallet's currency; \"1\" for its own" })
  rate: string;
  @ApiPropertyOptional({ format: 'date-time', description: 'When the rate was set (absent for the wallet’s own currency)' }) rateUpdatedAt?: string;
  @ApiProperty({ enum: [true], description: 'Always true: shown at the current rate, not a quote; converting needs a quote (POST /v1/fx-quotes)' })
  estimate: true;
}

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
  @ApiPropertyOptional({ type: WalletDisplayDto, description: 'Only with ?displayCurrency=: the amounts in that currency' })
  display?: WalletDisplayDto;
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
  return toWalletDto({
    id: doc.id,
    ownerId: doc.owner_id,
    currency: doc.currency.trim(),
    status: doc.status,
    balanceMinor: String(doc.balance),
    heldMinor: String(doc.held),
    overdraftLimitMinor: String(doc.overdraft_limit),
    metadata: doc.metadata,
    createdAt: new Date(doc.created_at),
    updatedAt: new Date(doc.updated_at),
  } as WalletEntity);
}
