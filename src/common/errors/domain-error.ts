import type { ErrorCode } from './error-codes.js';

export interface FieldError {
  field: string;
  message: string;
}

/** A refusal the caller can act on; the problem-details filter turns it into an RFC 9457 response. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly errors?: FieldError[],
    /** The first answer to a request with this Idempotency-Key, given again: answered with Idempotency-Replayed: true. */
    readonly replayed = false,
  ) {
    super(detail);
    this.name = 'DomainError';
  }
}

export const validationFailed = (detail: string, errors?: FieldError[]) =>
  new DomainError('VALIDATION_FAILED', detail, errors);
