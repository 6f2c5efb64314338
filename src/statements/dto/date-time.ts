import { applyDecorators } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsISO8601, IsOptional, IsString, Matches } from 'class-validator';

/**
 * An RFC 3339 date-time with its offset (`2026-11-01T00:00:00Z`, `2026-11-01T01:00:00.250+01:00`): a date
 * alone or a time without an offset would leave the moment to guesswork. At most millisecond precision,
 * the precision the ledger stamps.
 */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?(Z|[+-]\d{2}:\d{2})$/i;
const MESSAGE = '$property must be an ISO 8601 date-time with an offset, e.g. 2026-11-01T00:00:00Z (at most milliseconds)';

export function OptionalDateTime(description: string, example: string) {
  return applyDecorators(
    ApiPropertyOptional({ type: 'string', format: 'date-time', description, example }),
    IsOptional(),
    IsString({ message: MESSAGE }),
    Matches(DATE_TIME, { message: MESSAGE }),
    IsISO8601({ strict: true }, { message: MESSAGE }),
  );
}
