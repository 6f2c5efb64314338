import { ApiHeader } from '@nestjs/swagger';
import type { Response } from 'express';

export const IDEMPOTENCY_REPLAYED_HEADER = 'Idempotency-Replayed';

/** Documents the Idempotency-Key request header every /v1 POST accepts. */
export function ApiIdempotencyKey() {
  return ApiHeader({
    name: 'Idempotency-Key',
    required: false,
    description:
      'Makes the POST safe to retry: a repeat with the same key and body returns the first response again ' +
      `(with ${IDEMPOTENCY_REPLAYED_HEADER}: true) and moves no money; the same key with another body → 422. Kept at least 24 h.`,
    schema: { type: 'string', minLength: 1, maxLength: 255, example: 'order-1042-capture' },
  });
}

/** Marks a response that repeats the first answer to its Idempotency-Key. */
export function markReplayed(response: Response, replayed: boolean): void {
  if (replayed) response.setHeader(IDEMPOTENCY_REPLAYED_HEADER, 'true');
}
