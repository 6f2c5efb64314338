/**
 * Every error the API can answer with. The compiler keeps the maps below complete: adding a code
 * without a status and a title does not build.
 */
export type ErrorCode =
  | 'VALIDATION_FAILED'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'WALLET_NOT_FOUND'
  | 'TRANSACTION_NOT_FOUND'
  | 'HOLD_NOT_FOUND'
  | 'WEBHOOK_ENDPOINT_NOT_FOUND'
  | 'QUOTE_NOT_FOUND'
  | 'WALLET_ALREADY_EXISTS'
  | 'HOLD_NOT_ACTIVE'
  | 'IDEMPOTENCY_IN_PROGRESS'
  | 'QUOTE_USED'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'INSUFFICIENT_FUNDS'
  | 'CURRENCY_MISMATCH'
  | 'SAME_WALLET'
  | 'WALLET_NOT_ACTIVE'
  | 'WALLET_NOT_EMPTY'
  | 'BALANCE_LIMIT_EXCEEDED'
  | 'LIMIT_EXCEEDED'
  | 'AMOUNT_EXCEEDS_HOLD'
  | 'AMOUNT_EXCEEDS_REFUNDABLE'
  | 'TRANSACTION_NOT_REFUNDABLE'
  | 'QUOTE_EXPIRED'
  | 'RATE_UNAVAILABLE'
  | 'AMOUNT_NOT_CONVERTIBLE'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'RATE_LIMITED'
  | 'SERVICE_UNAVAILABLE'
  | 'INTERNAL_ERROR';

export const ERROR_STATUS: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  WALLET_NOT_FOUND: 404,
  TRANSACTION_NOT_FOUND: 404,
  HOLD_NOT_FOUND: 404,
  WEBHOOK_ENDPOINT_NOT_FOUND: 404,
  QUOTE_NOT_FOUND: 404,
  WALLET_ALREADY_EXISTS: 409,
  HOLD_NOT_ACTIVE: 409,
  IDEMPOTENCY_IN_PROGRESS: 409,
  QUOTE_USED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INSUFFICIENT_FUNDS: 422,
  CURRENCY_MISMATCH: 422,
  SAME_WALLET: 422,
  WALLET_NOT_ACTIVE: 422,
  WALLET_NOT_EMPTY: 422,
  BALANCE_LIMIT_EXCEEDED: 422,
  LIMIT_EXCEEDED: 422,
  AMOUNT_EXCEEDS_HOLD: 422,
  AMOUNT_EXCEEDS_REFUNDABLE: 422,
  TRANSACTION_NOT_REFUNDABLE: 422,
  QUOTE_EXPIRED: 422,
  RATE_UNAVAILABLE: 422,
  AMOUNT_NOT_CONVERTIBLE: 422,
  IDEMPOTENCY_KEY_REUSED: 422,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL_ERROR: 500,
};

export const ERROR_TITLE: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is not valid',
  UNAUTHORIZED: 'Missing or wrong API key',
  FORBIDDEN: 'The API key lacks the scope this call needs',
  NOT_FOUND: 'No such route',
  WALLET_NOT_FOUND: 'Wallet not found',
  TRANSACTION_NOT_FOUND: 'Transaction not found',
  HOLD_NOT_FOUND: 'Hold not found',
  WEBHOOK_ENDPOINT_NOT_FOUND: 'Webhook endpoint not found',
  QUOTE_NOT_FOUND: 'FX quote not found',
  WALLET_ALREADY_EXISTS: 'A wallet for this owner and currency exists',
  HOLD_NOT_ACTIVE: 'The hold is not active',
  IDEMPOTENCY_IN_PROGRESS: 'A request with this Idempotency-Key is still running',
  QUOTE_USED: 'The FX quote was already used by a conversion',
  PAYLOAD_TOO_LARGE: 'The request body is too large',
  UNSUPPORTED_MEDIA_TYPE: 'The request body must be application/json',
  INSUFFICIENT_FUNDS: 'Insufficient funds',
  CURRENCY_MISMATCH: 'The wallets hold different currencies',
  SAME_WALLET: 'A transfer needs two different wallets',
  WALLET_NOT_ACTIVE: 'The wallet is frozen or closed',
  WALLET_NOT_EMPTY: 'Only an empty wallet can be closed',
  BALANCE_LIMIT_EXCEEDED: 'The balance would exceed the largest amount the service keeps',
  LIMIT_EXCEEDED: "The move would break one of the wallet's limits",
  AMOUNT_EXCEEDS_HOLD: 'The amount exceeds what is left on the hold',
  AMOUNT_EXCEEDS_REFUNDABLE: 'The amount exceeds what is left to refund',
  TRANSACTION_NOT_REFUNDABLE: 'Only deposits, transfers and captures can be refunded',
  QUOTE_EXPIRED: 'The FX quote has expired',
  RATE_UNAVAILABLE: 'No exchange rate for this currency pair',
  AMOUNT_NOT_CONVERTIBLE: 'The amount converts to less than one minor unit or to more than the service keeps',
  IDEMPOTENCY_KEY_REUSED: 'The Idempotency-Key was used with another request',
  RATE_LIMITED: 'Too many requests',
  SERVICE_UNAVAILABLE: 'The service is temporarily unavailable',
  INTERNAL_ERROR: 'Internal error',
};

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_STATUS, value);
}
