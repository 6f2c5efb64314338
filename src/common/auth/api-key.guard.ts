import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { ApiKey } from '../../config/api-keys.js';
import { DomainError } from '../errors/domain-error.js';

export const API_KEYS = Symbol('API_KEYS');

/** The caller as the guard established it; idempotency keys are scoped by `apiKeyName`. */
export interface AuthenticatedRequest extends Request {
  apiKeyName: string;
}

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * `Authorization: Bearer <secret>` against the configured keys. Secrets are compared as SHA-256 digests
 * with timingSafeEqual, and every key is checked, so timing reveals neither a key nor its position.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: { name: string; digest: Buffer }[];

  constructor(@Inject(API_KEYS) keys: ApiKey[]) {
    this.keys = keys.map((key) => ({ name: key.name, digest: digest(key.secret) }));
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new DomainError('UNAUTHORIZED', 'Send the API key as "Authorization: Bearer <key>".');
    const presented = digest(match[1]);
    let name: string | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented) && name === undefined) name = key.name;
    }
    if (name === undefined) throw new DomainError('UNAUTHORIZED', 'The API key is not valid.');
    request.apiKeyName = name;
    return true;
  }
}
