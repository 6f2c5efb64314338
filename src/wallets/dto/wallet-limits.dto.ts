import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsObject, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { MAX_AMOUNT_MINOR } from '../../common/money/amount.js';
import { OptionalField } from '../../common/validation/optional.js';

export type LimitName = 'dailyDebit' | 'monthlyDebit' | 'maxBalance';
export const LIMIT_NAMES: readonly LimitName[] = ['dailyDebit', 'monthlyDebit', 'maxBalance'];

const LIMIT_DESCRIPTIONS: Record<LimitName, string> = {
  dailyDebit:
    'At most this much may leave the wallet per UTC calendar day: withdrawals, transfers out, refunds it pays back, and holds from when they are placed (a capture counts what it captured, a void or expiry gives the rest back).',
  monthlyDebit: 'The same, per UTC calendar month.',
  maxBalance: '`balance` may not exceed this after any move into the wallet (deposits, transfers in, captures and refunds to it).',
};

/** A limit as a request sets it: a safe integer ≥ 1 in minor units, or null for none; absent leaves it as it is. */
const limitInput = (name: LimitName) =>
  applyDecorators(
    ApiPropertyOptional({
      type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, nullable: true, example: 50000,
      description: `${LIMIT_DESCRIPTIONS[name]} Minor units; null removes the limit.`,
    }),
    ValidateIf((_object, value) => value !== undefined && value !== null),
    IsInt({ message: '$property must be an integer number of minor units or null' }),
    Min(1, { message: '$property must be at least 1 (or null for no limit)' }),
    Max(MAX_AMOUNT_MINOR, { message: `$property must be at most ${MAX_AMOUNT_MINOR}` }),
  );

/**
 * `limits` in POST /v1/wallets and PATCH /v1/wallets/{id}. On PATCH only the limits sent change (null removes
 * one); lowering a limit below what is already used moves nothing and refuses later moves until the period resets.
 */
export class WalletLimitsInput {
  @limitInput('dailyDebit') dailyDebit?: number | null;
  @limitInput('monthlyDebit') monthlyDebit?: number | null;
  @limitInput('maxBalance') maxBalance?: number | null;
}

/** The `limits` field of a create or update body: an object (not null, not an array) of WalletLimitsInput. */
export function OptionalLimits(description: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: WalletLimitsInput, description }),
    OptionalField(),
    IsObject({ message: '$property must be an object of dailyDebit, monthlyDebit and maxBalance' }),
    ValidateNested(),
    Type(() => WalletLimitsInput),
  );
}

const limitOutput = (name: LimitName) =>
  ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 1, maximum: MAX_AMOUNT_MINOR, example: 50000,
    description: `${LIMIT_DESCRIPTIONS[name]} Minor units; absent: no limit.`,
  });

/** The wallet's limits: only those set appear (`{}` when none). */
export class WalletLimitsDto {
  @limitOutput('dailyDebit') dailyDebit?: number;
  @limitOutput('monthlyDebit') monthlyDebit?: number;
  @limitOutput('maxBalance') maxBalance?: number;
}

export class LimitUsageDto {
  @ApiProperty({
    type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 1200,
    description: 'What left the wallet in the current period, active holds included, minor units (counted whether or not a limit is set)',
  })
  used: number;

  @ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 0, maximum: MAX_AMOUNT_MINOR, example: 48800,
    description: 'limit − used, at least 0; absent when the wallet has no such limit',
  })
  remaining?: number;

  @ApiProperty({ format: 'date-time', example: '2026-12-05T00:00:00.000Z', description: 'When the period ends and `used` starts again at 0 (UTC midnight)' })
  resetsAt: string;
}

export class WalletLimitUsageDto {
  @ApiProperty({ type: LimitUsageDto, description: 'The current UTC calendar day' }) dailyDebit: LimitUsageDto;
  @ApiProperty({ type: LimitUsageDto, description: 'The current UTC calendar month' }) monthlyDebit: LimitUsageDto;
}
