import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { AuthenticatedRequest } from '../auth/api-key.guard.js';
import { validationFailed } from '../common/errors/domain-error.js';
import { refuseHostileInput } from '../common/validation/validation-pipe.js';

/** What identifies one logical request across retries: who sent it, its key, and a hash of what it asked. */
export interface IdempotencyContext {
  scope: string;
  key: string;
  requestHash: string;
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const MAX_KEY_LENGTH = 255;

/** JSON with object keys sorted, so the same body hashes the same however a client orders its fields. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function idempotencyContextOf(request: AuthenticatedRequest): IdempotencyContext | null {
  const raw = request.headers[IDEMPOTENCY_HEADER];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0] : raw;
  if (key.length < 1 || key.length > MAX_KEY_LENGTH || Array.isArray(raw)) {
    throw validationFailed(`Idempotency-Key must be one header of 1–${MAX_KEY_LENGTH} characters.`, [
      { field: 'Idempotency-Key', message: `must be 1–${MAX_KEY_LENGTH} characters` },
    ]);
  }
  const path = request.originalUrl.split('?')[0];
  // This can run before the body's validation pipe, and canonicalJson recurses: refuse a body nested past
  // any DTO's depth first, so it is a 400, not a stack overflow.
  refuseHostileInput(request.body, 'body');
  const requestHash = createHash('sha256')
    .update(`${request.method} ${path}\n${canonicalJson(request.body ?? {})}`)
    .digest('hex');
  return { scope: `${request.tenantId}/${request.apiKeyName}`, key, requestHash };
}

/** The request's Idempotency-Key as an {@link IdempotencyContext}, or null when it sent none. */
export const Idempotency = createParamDecorator((_: unknown, context: ExecutionContext) =>
  idempotencyContextOf(context.switchToHttp().getRequest<AuthenticatedRequest>()),
);
