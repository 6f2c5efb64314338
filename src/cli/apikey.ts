import { parseArgs } from 'node:util';
import { exitAfterFlush, withCliDataSource } from './cli-data-source.js';
import { runMigrationsExclusively } from '../database/run-migrations.js';
import { SCOPES, type Scope } from '../config/api-keys.js';
import { storedKeys } from '../auth/api-key-store.js';

const USAGE = `usage:
  npm run apikey -- create --tenant <tenant> --name <name> [--scopes wallets:read,wallets:write,admin]
  npm run apikey -- list [--tenant <tenant>]
  npm run apikey -- revoke <key id> | --tenant <tenant> --name <name>

Keys live in the database (only a SHA-256 of the secret is stored); the secret is printed once, by create.
Default scopes: wallets:read,wallets:write. Uses DATABASE_URL, or the embedded database when it is unset.
A revoked key stops working within API_KEY_CACHE_TTL_MS (30 s by default) on every replica.`;

const NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

class UsageError extends Error {}

function option(values: Record<string, string | undefined>, name: string): string {
  const value = values[name];
  if (value === undefined || !NAME.test(value)) throw new UsageError(`--${name} must be 1–64 characters of A–Z, a–z, 0–9, _ . -`);
  return value;
}

function scopesFrom(raw: string | undefined): Scope[] {
  const scopes = (raw ?? 'wallets:read,wallets:write').split(',').map((scope) => scope.trim());
  const unknown = scopes.find((scope) => !(SCOPES as readonly string[]).includes(scope));
  if (unknown !== undefined || scopes.length === 0) throw new UsageError(`--scopes takes ${SCOPES.join(', ')}; got ${unknown}`);
  return [...new Set(scopes)] as Scope[];
}

/** `npm run apikey -- create|list|revoke`: exit 0 on success, 1 when nothing matched, 2 on a usage or database error. */
async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { tenant: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' } },
  });
  const [command, ...rest] = positionals;
  if (command === 'create') {
    const input = { tenantId: option(values, 'tenant'), name: option(values, 'name'), scopes: scopesFrom(values.scopes) };
    return withCliDataSource(async (dataSource) => {
      // A fresh database gets its schema first, as the service would at boot.
      await runMigrationsExclusively(dataSource);
      const created = await storedKeys.create(dataSource, input);
      console.log(`created key ${created.id} "${input.name}" for tenant ${input.tenantId} with ${input.scopes.join(', ')}`);
      console.log(`secret (shown once, store it now): ${created.secret}`);
      return 0;
    });
  }
  if (command === 'list') {
    const tenantId = values.tenant === undefined ? undefined : option(values, 'tenant');
    return withCliDataSource(async (dataSource) => {
      const keys = await storedKeys.list(dataSource, tenantId);
      for (const key of keys) {
        const state = key.revokedAt ? `revoked ${new Date(key.revokedAt).toISOString()}` : 'active';
        console.log(`${key.id}  ${key.tenantId}/${key.name}  ${key.scopes.join(',')}  created ${new Date(key.createdAt).toISOString()}  ${state}`);
      }
      if (keys.length === 0) console.log('no keys');
      return 0;
    });
  }
  if (command === 'revoke') {
    const selector =
      rest.length === 1 && UUID.test(rest[0])
        ? { id: rest[0] }
        : rest.length === 0
          ? { tenantId: option(values, 'tenant'), name: option(values, 'name') }
          : null;
    if (!selector) throw new UsageError('revoke takes one key id, or --tenant and --name');
    return withCliDataSource(async (dataSource) => {
      const revoked = await storedKeys.revoke(dataSource, selector);
      console.log(revoked ? 'revoked' : 'no active key matched');
      return revoked ? 0 : 1;
    });
  }
  throw new UsageError(command === undefined ? 'a command is needed' : `unknown command ${command}`);
}

main(process.argv.slice(2)).then(exitAfterFlush, (error: unknown) => {
  const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
  console.error(usage ? `${(error as Error).message}\n${USAGE}` : `apikey failed: ${error instanceof Error ? error.message : String(error)}`);
  exitAfterFlush(2);
});
