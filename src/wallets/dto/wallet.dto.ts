import { ApiProperty } from '@nestjs/swagger';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../common/money/amount.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { WalletEntity, WalletStatus } from '../wallet.entity.js';
import { type LimitUsageDto, WalletLimitsDto, WalletLimitUsageDto } from './wallet-limits.dto.js';

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
  @ApiProperty({ type: WalletLimitsDto, description: 'The limits set (`{}` when none); a move that would break one is refused with 422 LIMIT_EXCEEDED' })
  limits: WalletLimitsDto;
  @ApiProperty({ type: WalletLimitUsageDto, description: 'What the debit limits have used in the current UTC day and month, and when each resets' })
  limitUsage: WalletLimitUsageDto;
  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50, example: { tier: 'gold' } }) metadata: Metadata;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class WalletListDto {
  @ApiProperty({ type: [WalletDto], maxItems: 1000 }) data: WalletDto[];
}

/** A wallet as the service's read queries return it (src/wallets/wallets.service.ts, WALLET_COLUMNS). */
export interface WalletRow extends Pick<
  WalletEntity,
  'id' | 'ownerId' | 'currency' | 'status' | 'balanceMinor' | 'heldMinor' | 'overdraftLimitMinor' | 'metadata' | 'createdAt' | 'updatedAt'
  | 'limitDailyDebitMinor' | 'limitMonthlyDebitMinor' | 'limitMaxBalanceMinor'
> {
  /** Used in the current UTC day / month at the time of the read (0 when the stored period is over), due holds left out. */
  dailyDebitUsedMinor: string;
  monthlyDebitUsedMinor: string;
  /** ISO 8601 UTC: the next midnight, the first of the next month. */
  dailyDebitResetsAt: string;
  monthlyDebitResetsAt: string;
}

const limitOf = (value: string | null) => (value === null ? null : minorUnitsFromDb(value));

function usage(used: string, limit: number | null, resetsAt: string): LimitUsageDto {
  const usedMinor = minorUnitsFromDb(used);
  return { used: usedMinor, ...(limit !== null ? { remaining: Math.max(0, limit - usedMinor) } : {}), resetsAt };
}

export function toWalletDto(wallet: WalletRow): WalletDto {
  const balance = minorUnitsFromDb(wallet.balanceMinor);
  const held = minorUnitsFromDb(wallet.heldMinor);
  const dailyDebit = limitOf(wallet.limitDailyDebitMinor);
  const monthlyDebit = limitOf(wallet.limitMonthlyDebitMinor);
  const maxBalance = limitOf(wallet.limitMaxBalanceMinor);
  return {
    id: wallet.id,
    ownerId: wallet.ownerId,
    currency: wallet.currency,
    status: wallet.status,
    balance,
    held,
    available: balance - held,
    overdraftLimit: minorUnitsFromDb(wallet.overdraftLimitMinor),
    limits: {
      ...(dailyDebit !== null ? { dailyDebit } : {}),
      ...(monthlyDebit !== null ? { monthlyDebit } : {}),
      ...(maxBalance !== null ? { maxBalance } : {}),
    },
    limitUsage: {
      dailyDebit: usage(wallet.dailyDebitUsedMinor, dailyDebit, wallet.dailyDebitResetsAt),
      monthlyDebit: usage(wallet.monthlyDebitUsedMinor, monthlyDebit, wallet.monthlyDebitResetsAt),
    },
    metadata: wallet.metadata as Metadata,
    createdAt: wallet.createdAt.toISOString(),
    updatedAt: wallet.updatedAt.toISOString(),
  };
}
