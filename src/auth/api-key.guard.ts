import { CanActivate, ExecutionContext, Inject, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { timingSafeEqual } from 'node:crypto';
import type { Request, Response } from 'express';
import type { Scope } from '../config/api-keys.js';
import { ApiKeyStore, ResolvedKey, sha256 } from './api-key-store.js';
import type { ApiKey } from '../config/api-keys.js';
import { DomainError } from '../common/errors/domain-error.js';
import type { FixedWindowLimiter } from '../common/rate-limit/fixed-window-limiter.js';
import { API_KEY_RATE_LIMITER, FAILED_AUTH_LIMITER } from '../common/rate-limit/rate-limit.module.js';
import { FailedAuthBound } from './failed-auth.js';

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
 * fixes the tenant every query of the request is confined to, and its scopes decide 403s.
 *
 * Both rate limits apply here (src/common/rate-limit). First the client address: one that has had too many
 * 401s answers 429 before any key is compared (FailedAuthBound), and every 401 counts against it. Then a key
 * that is accepted counts against its own limit (RATE_LIMIT_REQUESTS per RATE_LIMIT_WINDOW_MS), whether or
 * not it has the scope the route needs, and over it the request answers 429 RATE_LIMITED before any pipe or
 * handler runs. Every answer after this guard (2xx, 4xx) carries the key's RateLimit-Policy and RateLimit.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: (ResolvedKey & { digest: Buffer })[];
  private readonly failedAuth: FailedAuthBound | null;

  constructor(
    @Inject(API_KEYS) keys: ApiKey[],
    private readonly stored: ApiKeyStore,
    private readonly reflector: Reflector,
    @Inject(API_KEY_RATE_LIMITER) private readonly limiter: FixedWindowLimiter | null,
    @Inject(FAILED_AUTH_LIMITER) failedAuthLimiter: FixedWindowLimiter | null,
  ) {
    this.keys = keys.map((key) => ({ name: key.name, tenantId: key.tenantId, scopes: key.scopes, digest: sha256(key.secret) }));
    this.failedAuth = failedAuthLimiter && new FailedAuthBound(failedAuthLimiter);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<AuthenticatedRequest>();
    const response = http.getResponse<Response>();
    const address = this.failedAuth ? await this.failedAuth.admit(request, response) : '';
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (!match) throw await this.unauthorized(address, response, 'Send the API key as "Authorization: Bearer <key>".');
    const presented = sha256(match[1]);
    const key = this.fromEnvironment(presented) ?? (await this.stored.findBySecretDigest(presented));
    if (!key) throw await this.unauthorized(address, response, 'The API key is not valid.');
    request.apiKeyName = key.name;
    request.tenantId = key.tenantId;
    request.scopes = key.scopes;
    if (this.limiter) await this.countAgainstKey(`${key.tenantId}/${key.name}`, response);
    const required =
      this.reflector.getAllAndOverride<Scope | undefined>(REQUIRED_SCOPE, [context.getHandler(), context.getClass()]) ??
      (request.method === 'GET' || request.method === 'HEAD' ? 'wallets:read' : 'wallets:write');
    if (!key.scopes.includes(required)) throw new DomainError('FORBIDDEN', `This API key lacks the scope ${required}.`);
    return true;
  }

  private unauthorized(address: string, response: Response, detail: string): Promise<DomainError> | DomainError {
    return this.failedAuth ? this.failedAuth.failed(address, response, detail) : new DomainError('UNAUTHORIZED', detail);
  }

  /** Key names are unique within a tenant, so tenant and name identify a key, from API_KEYS or stored alike. */
  private async countAgainstKey(tracker: string, response: Response): Promise<void> {
    const limiter = this.limiter!;
    const state = await limiter.count(tracker);
    if (!limiter.isOver(state)) {
      limiter.describe(response, state);
      return;
    }
    const retryAfterSeconds = limiter.refuse(response, state);
    throw new DomainError(
      'RATE_LIMITED',
      `This API key may make ${limiter.policy.limit} requests per ${limiter.policy.windowSeconds} s; retry after ${retryAfterSeconds} s.`,
    );
  }

  private fromEnvironment(presented: Buffer): ResolvedKey | undefined {
    let found: ResolvedKey | undefined;
    for (const key of this.keys) {
      if (timingSafeEqual(key.digest, presented) && found === undefined) found = key;
    }
    return found && { name: found.name, tenantId: found.tenantId, scopes: found.scopes };
  }
}
