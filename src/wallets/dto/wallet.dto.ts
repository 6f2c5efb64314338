import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { RATE_MAX_LENGTH, RATE_PATTERN } from '../../common/money/fx-rate.js';
import { MAX_AMOUNT_MINOR, minorUnitsFromDb } from '../../common/money/amount.js';
import type { Metadata } from '../../common/validation/metadata.js';
import type { WalletEntity, WalletStatus } from '../wallet.entity.js';
import { type LimitUsageDto, WalletLimitsDto, WalletLimitUsageDto } from './wallet-limits.dto.js';

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
  @ApiProperty({ type: WalletLimitsDto, description: 'The limits set (`{}` when none); a move that would break one is refused with 422 LIMIT_EXCEEDED' })
  limits: WalletLimitsDto;
  @ApiProperty({ type: WalletLimitUsageDto, description: 'What the debit limits have used in the current UTC day and month, and when each resets' })
  limitUsage: WalletLimitUsageDto;
  @ApiProperty({ type: 'object', additionalProperties: true, maxProperties: 50, example: { tier: 'gold' } }) metadata: Metadata;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ type: WalletDisplayDto, description: 'Only with ?displayCurrency=: the amounts in that currency' })
  display?: WalletDisplayDto;
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

/** A wallet row as PostgreSQL's to_jsonb renders it (the wallet.* events store it so: src/ledger/sql/wallet_event.sql). */
export interface WalletDocument {
  id: string;
  owner_id: string;
  currency: string;
  status: WalletStatus;
  balance: number | string;
  held: number | string;
  overdraft_limit: number | string;
  limit_daily_debit: number | string | null;
  limit_monthly_debit: number | string | null;
  limit_max_balance: number | string | null;
  /** The UTC day the usage below belongs to ('YYYY-MM-DD'), null before the wallet's first debit. */
  debit_period: string | null;
  debit_day_used: number | string;
  debit_month_used: number | string;
  metadata: Metadata;
  created_at: string;
  updated_at: string;
}

/**
 * The wallet as an event shows it: as the change left it, its limit usage as of the change (a period that had
 * ended by then reads as 0, as a read does; holds due by then are not subtracted: the row is what it was).
 */
export function toWalletDtoFromDocument(doc: WalletDocument): WalletDto {
  const at = new Date(doc.updated_at);
  const day = at.toISOString().slice(0, 10);
  const period = doc.debit_period ?? day;
  const sameDay = doc.debit_period !== null && period >= day;
  const sameMonth = doc.debit_period !== null && period.slice(0, 7) >= day.slice(0, 7);
  const latest = period > day ? period : day;
  const nextDay = new Date(`${latest}T00:00:00.000Z`);
  nextDay.setUTCDate(nextDay.getUTCDate() + 1);
  const nextMonth = new Date(`${latest.slice(0, 7)}-01T00:00:00.000Z`);
  nextMonth.setUTCMonth(nextMonth.getUTCMonth() + 1);
  const text = (value: number | string | null) => (value === null ? null : String(value));
  return toWalletDto({
    id: doc.id,
    ownerId: doc.owner_id,
    currency: doc.currency.trim(),
    status: doc.status,
    balanceMinor: String(doc.balance),
    heldMinor: String(doc.held),
    overdraftLimitMinor: String(doc.overdraft_limit),
    limitDailyDebitMinor: text(doc.limit_daily_debit),
    limitMonthlyDebitMinor: text(doc.limit_monthly_debit),
    limitMaxBalanceMinor: text(doc.limit_max_balance),
    dailyDebitUsedMinor: sameDay ? String(doc.debit_day_used) : '0',
    monthlyDebitUsedMinor: sameMonth ? String(doc.debit_month_used) : '0',
    dailyDebitResetsAt: nextDay.toISOString(),
    monthlyDebitResetsAt: nextMonth.toISOString(),
    metadata: doc.metadata,
    createdAt: new Date(doc.created_at),
    updatedAt: at,
  } as WalletRow);
}
