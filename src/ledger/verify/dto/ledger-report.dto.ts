import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DRIFT_LIMIT_PER_CHECK, LEDGER_CHECKS, type LedgerCheck, type LedgerCheckResult, type LedgerDrift, type LedgerReport } from '../ledger-verifier.js';

const CHECK_NAMES = Object.keys(LEDGER_CHECKS) as LedgerCheck[];
/** Money as a decimal string, or (the chain checks) a SHA-256 in hex. */
const DECIMAL = '^(-?[0-9]+|[0-9a-f]{64})$';
/** A sign and up to 39 digits (any sum of bigint balances a ledger can hold), or 64 hex digits. */
const DECIMAL_MAX_LENGTH = 64;

export class LedgerCountsDto {
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 1204 }) wallets: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 58210 }) transactions: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 116420 }) entries: number;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 3120 }) holds: number;
}

export class LedgerCheckResultDto implements LedgerCheckResult {
  @ApiProperty({ enum: CHECK_NAMES }) check: LedgerCheck;
  @ApiProperty({ description: 'The invariant, and what expected and actual mean for it', maxLength: 500 }) description: string;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'All drift this check found (the list shows at most driftLimitPerCheck)' })
  driftCount: number;
}

export class LedgerDriftDto implements LedgerDrift {
  @ApiProperty({ enum: CHECK_NAMES, example: 'wallet_balance_equals_entries' }) check: LedgerCheck;
  @ApiProperty({ maxLength: 36, description: 'Wallet, transaction or hold id; a currency code for currency_entries_sum_to_zero', example: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10' })
  id: string;
  @ApiPropertyOptional({
    type: 'integer', format: 'int64', minimum: 1, maximum: Number.MAX_SAFE_INTEGER, example: 18234,
    description: 'The chain checks: the entry named — the first entry that breaks its wallet\'s chain, or the wallet\'s last entry',
  })
  entryId?: number;
  @ApiProperty({
    type: 'string',
    nullable: true,
    pattern: DECIMAL,
    maxLength: DECIMAL_MAX_LENGTH,
    example: '12500',
    description: 'Recomputed from the source of truth, minor units as a decimal string (sums may exceed 2^53), or for the chain checks a SHA-256 in hex; null when that row is missing',
  })
  expected: string | null;
  @ApiProperty({ type: 'string', nullable: true, pattern: DECIMAL, maxLength: DECIMAL_MAX_LENGTH, example: '12501', description: 'Stored, as a decimal string (a hex SHA-256 for the chain checks); null when that row is missing' })
  actual: string | null;
  @ApiProperty({ example: 'balance 12501; its entries sum to 12500', maxLength: 500 }) detail: string;
}

export class LedgerReportDto implements LedgerReport {
  @ApiProperty({ format: 'date-time', maxLength: 35, description: 'When the checking transaction began (database clock); every check reads the snapshot taken right after' }) checkedAt: string;
  @ApiProperty({ description: 'true when no check found drift' }) ok: boolean;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, example: 412 }) durationMs: number;
  @ApiProperty({ type: LedgerCountsDto }) counts: LedgerCountsDto;
  @ApiProperty({ type: 'integer', format: 'int64', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Sum of the checks’ driftCount' }) driftCount: number;
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: DRIFT_LIMIT_PER_CHECK, example: DRIFT_LIMIT_PER_CHECK }) driftLimitPerCheck: number;
  @ApiProperty({ type: [LedgerCheckResultDto], maxItems: CHECK_NAMES.length, description: 'Every check, in order, with how much drift it found' }) checks: LedgerCheckResultDto[];
  @ApiProperty({ type: [LedgerDriftDto], maxItems: CHECK_NAMES.length * DRIFT_LIMIT_PER_CHECK, description: 'Ordered by check, then id; at most driftLimitPerCheck per check' }) drift: LedgerDriftDto[];
}

const checksWith = (found: Partial<Record<LedgerCheck, number>>) =>
  CHECK_NAMES.map((check) => ({ check, description: LEDGER_CHECKS[check], driftCount: found[check] ?? 0 }));

/** The two shapes an operator sees, for the OpenAPI document. */
export const LEDGER_REPORT_EXAMPLES = {
  clean: {
    summary: 'No drift',
    value: {
      checkedAt: '2026-11-25T16:40:00.000Z',
      ok: true,
      durationMs: 412,
      counts: { wallets: 1204, transactions: 58210, entries: 116420, holds: 3120 },
      driftCount: 0,
      driftLimitPerCheck: 100,
      checks: checksWith({}),
      drift: [],
    },
  },
  drift: {
    summary: 'A balance edited outside the ledger',
    value: {
      checkedAt: '2026-11-25T16:40:00.000Z',
      ok: false,
      durationMs: 405,
      counts: { wallets: 1204, transactions: 58210, entries: 116420, holds: 3120 },
      driftCount: 2,
      driftLimitPerCheck: 100,
      checks: checksWith({ wallet_balance_equals_entries: 1, wallet_balance_equals_last_entry: 1 }),
      drift: [
        {
          check: 'wallet_balance_equals_entries',
          id: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10',
          expected: '12500',
          actual: '12501',
          detail: 'balance 12501; its entries sum to 12500',
        },
        {
          check: 'wallet_balance_equals_last_entry',
          id: '0b6f4f38-8e39-4b8f-9a55-3f3f8f1f2a10',
          expected: '12500',
          actual: '12501',
          detail: 'balance 12501; its last entry left 12500',
        },
      ],
    },
  },
} satisfies Record<string, { summary: string; value: LedgerReport }>;
