import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';
import type { Scope } from '../config/api-keys.js';
import { ApiKeyStore, ResolvedKey, sha256 } from './api-key-store.js';
import type { ApiKey } from '../config/api-keys.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { RateLimiter } from '../common/rate-limit/api-key-rate-limiter.js';
import { RATE_LIMITER } from '../common/rate-limit/rate-limit.module.js';

export const API_KEYS = Symbol('API_KEYS');
const REQUIRED_SCOPE = 'requiredScope';

/** The caller as the guard established it. Idempotency keys are scoped by tenant and key name. */
export interface AuthenticatedRequest extends Request {
  apiKeyName: string;
  tenantId: string;
  scopes: Scope[];
}

/** The scope a handler (or a whole controller) needs; without it: GET needs wallets:read, anything else wallets:write. */
export const RequireScope = (scope: Scope) => SetMetadata(REQUIRED_SCOPE, scope);

/**
 * `Authorization: Bearer <secret>` against the keys in API_KEYS and then the keys stored in the
 * database. Environment secrets are compared as SHA-256 digests with timingSafeEqual, every one of
 * them, so timing reveals neither a key nor its position; stored keys are found by digest. The key
 * fixes the tenant every query of the request is confined to, and its scopes decide 403s. A key that
 * passes is then counted against its rate limit when one is configured (RATE_LIMIT_REQUESTS; 429 past it).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: (ResolvedKey & { digest: Buffer })[];

  constructor(
    @Inject(API_KEYS) keys: ApiKey[],
    private readonly stored: ApiKeyStore,
    private readonly reflector: Reflector,
    @Inject(RATE_LIMITER) private readonly limiter: RateLimiter | null,
  ) {
    this.keys = keys.map((key) => ({ name: key.name, tenantId: key.tenantId, scopes: key.scopes, digest: sha256(key.secret) }));
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw new DomainError('UNAUTHORIZED', 'Send the API key as "Authorization: Bearer <key>".');
    const presented = sha256(match[1]);
    const key = this.fromEnvironment(presented) ?? (await this.stored.findBySecretDigest(presented));
    if (!key) throw new DomainError('UNAUTHORIZED', 'The API key is not valid.');
    request.apiKeyName = key.name;
    request.tenantId = key.tenantId;
    request.scopes = key.scopes;
    const required =
      this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'wallets:read' : 'wallets:write');
    if (!key.scopes.includes(required)) throw new DomainError('FORBIDDEN', `This API key lacks the scope ${required}.`);
    if (this.limiter) await this.limiter.check(context);
    return true;
  }

  private fromEnvironment(presented: Buffer): ResolvedKey | undefined {
    let found: ResolvedKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented) && found === undefined) found = key;
    }
    return found && { name: found.name, tenantId: found.tenantId, scopes: found.scopes };
  }
}
