import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, Max, Min } from 'class-validator';
import { OptionalField } from '../validation/optional.js';

/** The largest amount or balance the service keeps: 2^53 − 1 minor units, exact in JSON and in JavaScript. */
export const MAX_AMOUNT_MINOR = Number.MAX_SAFE_INTEGER;

/**
 * A positive amount in minor units. `IsInt` alone accepts 2^63 (JSON.parse makes it a float that is an
 * integer), so the upper bound is what keeps every amount exact.
 */
export function IsAmountMinor(options: { optional?: boolean; description?: string } = {}) {
  const doc = {
    type: 'integer',
    format: 'int64',
    minimum: 1,
    maximum: MAX_AMOUNT_MINOR,
    example: 2500,
    description: options.description ?? 'Amount in minor units of the wallet currency (cents): a safe integer ≥ 1.',
  } as const;
  return applyDecorators(
    ...(options.optional ? [OptionalField(), ApiPropertyOptional(doc)] : [ApiProperty(doc)]),
    IsInt({ message: '$property must be an integer number of minor units' }),
    Min(1, { message: '$property must be at least 1' }),
    Max(MAX_AMOUNT_MINOR, { message: `$property must be at most ${MAX_AMOUNT_MINOR}` }),
  );
}

/**
 * node-postgres returns bigint columns as strings; this is the one place they become numbers. The
 * schema bounds every money column to ±(2^53 − 1), so a value outside is corruption, not input.
 */
export function minorUnitsFromDb(value: string | number | bigint): number {
  const parsed = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(parsed)) throw new Error(`money column out of safe range: ${String(value)}`);
  return parsed;
}
