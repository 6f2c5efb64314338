import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ProblemDto } from './problem.dto.js';

const DESCRIPTIONS: Record<number, string> = {
  400: 'VALIDATION_FAILED: malformed JSON, wrong types, unknown fields, bad amount, currency or id',
  401: 'UNAUTHORIZED: no or wrong API key',
  403: 'FORBIDDEN: the API key lacks the scope this call needs (GET: wallets:read, writes: wallets:write, /v1/admin: admin)',
  404: 'WALLET_NOT_FOUND, TRANSACTION_NOT_FOUND, HOLD_NOT_FOUND, QUOTE_NOT_FOUND or WEBHOOK_ENDPOINT_NOT_FOUND',
  409: 'WALLET_ALREADY_EXISTS, HOLD_NOT_ACTIVE, QUOTE_USED or IDEMPOTENCY_IN_PROGRESS',
  413: 'PAYLOAD_TOO_LARGE: body over 64 KiB',
  415: 'UNSUPPORTED_MEDIA_TYPE: the body is not UTF-8 JSON',
  422:
    'INSUFFICIENT_FUNDS, CURRENCY_MISMATCH, SAME_WALLET, WALLET_NOT_ACTIVE, WALLET_NOT_EMPTY, BALANCE_LIMIT_EXCEEDED, ' +
    'LIMIT_EXCEEDED (detail names the limit and when it resets), ' +
    'AMOUNT_EXCEEDS_HOLD, AMOUNT_EXCEEDS_REFUNDABLE, TRANSACTION_NOT_REFUNDABLE, QUOTE_EXPIRED, RATE_UNAVAILABLE, ' +
    'AMOUNT_NOT_CONVERTIBLE or IDEMPOTENCY_KEY_REUSED',
  503: 'SERVICE_UNAVAILABLE: the database is down or a lock could not be had in time; retry (safe with the same Idempotency-Key)',
};

/** Documents the problem+json responses an operation can give. */
export function ApiProblemResponses(...statuses: number[]) {
  return applyDecorators(
    ApiExtraModels(ProblemDto),
    ...statuses.map((status) =>
      ApiResponse({
        status,
        description: DESCRIPTIONS[status] ?? 'Problem details',
        content: { 'application/problem+json': { schema: { $ref: getSchemaPath(ProblemDto) } } },
      }),
    ),
  );
}
