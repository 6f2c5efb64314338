import { Injectable } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { uuidv7 } from '../common/ids/uuid-v7.js';
import type { Environment } from '../config/environment.js';
import type { Scope } from '../config/api-keys.js';

/** What a presented secret resolves to. */
export interface ResolvedKey {
  name: string;
  tenantId: string;
  scopes: Scope[];
}

export interface StoredKeySummary extends ResolvedKey {
  id: string;
  createdAt: Date;
  revokedAt: Date | null;
}

/** Bounds the cache so that a flood of made-up secrets cannot grow memory without limit. */
const MAX_CACHED_SECRETS = 10_000;

export const sha256 = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * API keys kept in the database, looked up by the SHA-256 of the presented secret. Answers are cached
 * for API_KEY_CACHE_TTL_MS (unknown secrets too), so a request costs no query in the steady state;
 * a revocation takes effect within that time on every replica.
 */
@Injectable()
export class ApiKeyStore {
  private readonly cache = new Map<string, { key: ResolvedKey | null; expiresAtMs: number }>();
  private readonly ttlMs: number;

  constructor(
    private readonly dataSource: DataSource,
    config: ConfigService<Environment, true>,
  ) {
    this.ttlMs = config.get('API_KEY_CACHE_TTL_MS', { infer: true });
  }

  async findBySecretDigest(secretSha256: Buffer): Promise<ResolvedKey | null> {
    const cacheKey = secretSha256.toString('hex');
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expiresAtMs > Date.now()) return cached.key;
    const [row] = await this.dataSource.query(
      'SELECT name, tenant_id AS "tenantId", scopes FROM api_keys WHERE secret_sha256 = $1 AND revoked_at IS NULL',
      [secretSha256],
    );
    const key: ResolvedKey | null = row ? { name: row.name, tenantId: row.tenantId, scopes: row.scopes } : null;
    this.cache.delete(cacheKey);
    if (this.cache.size >= MAX_CACHED_SECRETS) this.cache.delete(this.cache.keys().next().value as string);
    this.cache.set(cacheKey, { key, expiresAtMs: Date.now() + this.ttlMs });
    return key;
  }
}

/** Creating, listing and revoking stored keys: used by `npm run apikey`, on a plain DataSource. */
export const storedKeys = {
  /** Returns the new key with its secret, which is shown once and never stored. */
  async create(dataSource: DataSource, input: { tenantId: string; name: string; scopes: Scope[] }): Promise<{ id: string; secret: string }> {
    const id = uuidv7();
    const secret = `wk_${randomBytes(32).toString('base64url')}`;
    await dataSource.query(
      'INSERT INTO api_keys (id, tenant_id, name, scopes, secret_sha256) VALUES ($1, $2, $3, $4, $5)',
      [id, input.tenantId, input.name, input.scopes, sha256(secret)],
    );
    return { id, secret };
  },

  async list(dataSource: DataSource, tenantId?: string): Promise<StoredKeySummary[]> {
    return dataSource.query(
      `SELECT id, name, tenant_id AS "tenantId", scopes, created_at AS "createdAt", revoked_at AS "revokedAt"
         FROM api_keys WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY tenant_id, name`,
      [tenantId ?? null],
    );
  },

  /** Revokes by id, or by tenant and name; returns how many keys were revoked (0 or 1). */
  async revoke(dataSource: DataSource, selector: { id: string } | { tenantId: string; name: string }): Promise<number> {
    const [, count] = await dataSource.query(
      'id' in selector
        ? 'UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL'
        : 'UPDATE api_keys SET revoked_at = now() WHERE tenant_id = $1 AND name = $2 AND revoked_at IS NULL',
      'id' in selector ? [selector.id] : [selector.tenantId, selector.name],
    );
    return count as number;
  },
};
