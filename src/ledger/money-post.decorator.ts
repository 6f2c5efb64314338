import { applyDecorators, HttpCode, Post, type Type } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { RequireScope } from '../auth/api-key.guard.js';
import { ApiProblemResponses } from '../common/http/api-problem-responses.js';
import { ApiIdempotencyKey } from '../common/http/idempotency-header.js';

export interface MoneyPostOptions {
  /** The route below the controller's prefix; none for the prefix itself. */
  path?: string;
  /** 201 (the default) when the POST creates a transaction or a hold; 200 when it only changes one (a void). */
  status?: 200 | 201;
  /** What a success answers with. */
  type: Type<unknown>;
  summary: string;
  description: string;
}

/** What any POST that moves or reserves money can be refused with, whatever it moves. */
const MONEY_POST_PROBLEMS = [400, 404, 409, 413, 415, 422] as const;

/**
 * Every POST that moves or reserves money (movements, refunds, holds, batches): the route and its status, the
 * wallets:write scope, and the documentation they share: the Idempotency-Key header, the success body and the
 * problem responses. The handler takes `@Idempotency()` and marks a replayed answer (Idempotency-Replayed).
 */
export function MoneyPost({ path, status = 201, type, summary, description }: MoneyPostOptions) {
  return applyDecorators(
    Post(path),
    HttpCode(status),
    RequireScope('wallets:write'),
    ApiOperation({ summary, description }),
    ApiIdempotencyKey(),
    status === 201 ? ApiCreatedResponse({ type }) : ApiOkResponse({ type }),
    ApiProblemResponses(...MONEY_POST_PROBLEMS),
  );
}
