import { Check, Column, Entity, PrimaryColumn, Unique } from 'typeorm';
import type { Scope } from '../config/api-keys.js';

/** An API key kept in the database: only the SHA-256 of its secret is stored. Constraints as in migrations/. */
@Entity({ name: 'api_keys' })
@Unique('api_keys_secret_sha256_key', ['secretSha256'])
@Unique('api_keys_tenant_name_key', ['tenantId', 'name'])
@Check('api_keys_tenant_id_check', `tenant_id ~ '^[A-Za-z0-9_.-]{1,64}$'`)
@Check('api_keys_name_check', `name ~ '^[A-Za-z0-9_.-]{1,64}$'`)
@Check('api_keys_scopes_check', `cardinality(scopes) >= 1 AND scopes <@ ARRAY['wallets:read', 'wallets:write', 'admin']`)
@Check('api_keys_secret_sha256_check', 'length(secret_sha256) = 32')
export class ApiKeyEntity {
  @PrimaryColumn('uuid')
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 64 })
  tenantId: string;

  @Column({ type: 'varchar', length: 64 })
  name: string;

  @Column({ type: 'text', array: true })
  scopes: Scope[];

  @Column({ name: 'secret_sha256', type: 'bytea' })
  secretSha256: Buffer;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
