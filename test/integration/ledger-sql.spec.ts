import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DataSource, type MigrationInterface } from 'typeorm';
import { MIGRATIONS } from '../../migrations/index.js';
import { databaseOptions } from '../../src/database/database-options.js';
import { ENTITIES } from '../../src/entities.js';
import { withDatabase } from '../support/postgres-server.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/**
 * src/ledger/sql/ holds every SQL function of the public schema as it runs today, one file each; the
 * migrations create them from frozen copies of their own (migrations/sql/<version>/). Nothing else ties the
 * two together, so this is the check: on a freshly migrated database, executing every file must change no
 * function and create none, and every function must have its file. A function edited in its file without a
 * migration, a migration without the file, a file no migration backs and a function without a file each fail
 * here, naming the function.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SQL_DIR = join(ROOT, 'src/ledger/sql');

interface SqlFile {
  /** the file name without .sql: the function it must define */
  name: string;
  path: string;
  text: string;
}

/** "name(identity arguments)" → pg_get_functiondef: what PostgreSQL runs, header rebuilt from the catalog, body verbatim. */
type Definitions = Map<string, string>;

function sqlFiles(): SqlFile[] {
  return readdirSync(SQL_DIR)
    .filter((file) => file.endsWith('.sql'))
    .sort()
    .map((file) => ({ name: file.slice(0, -'.sql'.length), path: `src/ledger/sql/${file}`, text: readFileSync(join(SQL_DIR, file), 'utf8') }));
}

const nameOf = (key: string) => key.slice(0, key.indexOf('('));
const fileOf = (name: string) => `src/ledger/sql/${name}.sql`;

/** Every function in the public schema except those an extension owns (they come and go with the extension). */
async function liveFunctions(client: pg.ClientBase): Promise<Definitions> {
  const { rows } = await client.query<{ key: string; definition: string }>(`
    SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' AS key,
           CASE WHEN p.prokind = 'a' THEN 'aggregate ' || p.oid::regprocedure::text ELSE pg_get_functiondef(p.oid) END AS definition
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = 'public'
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
     ORDER BY 1`);
  return new Map(rows.map((row) => [row.key, row.definition]));
}

function firstDifference(migrated: string, file: string): string {
  const a = migrated.split('\n');
  const b = file.split('\n');
  let line = 0;
  while (line < Math.max(a.length, b.length) && a[line] === b[line]) line++;
  return `first difference at line ${line + 1}: migrated ${JSON.stringify(a[line] ?? '')}, file ${JSON.stringify(b[line] ?? '')}`;
}

/**
 * Reads the live functions, executes every file, reads them again and compares, all in one transaction that
 * is rolled back. `prepare` runs first in that transaction: the tests below use it to stand in for a
 * migration that changed something. Returns one message per problem, each naming the function.
 */
async function drift(client: pg.ClientBase, files: SqlFile[], prepare?: () => Promise<unknown>): Promise<string[]> {
  const problems: string[] = [];
  await client.query('BEGIN');
  try {
    await prepare?.();
    const migrated = await liveFunctions(client);
    for (const file of files) {
      await client.query('SAVEPOINT file');
      try {
        await client.query(file.text);
        await client.query('RELEASE SAVEPOINT file');
      } catch (error) {
        await client.query('ROLLBACK TO SAVEPOINT file');
        problems.push(`${file.name}: ${file.path} does not apply to the migrated database: ${(error as Error).message}`);
      }
    }
    const afterFiles = await liveFunctions(client);
    for (const [key, definition] of afterFiles) {
      if (!migrated.has(key)) {
        problems.push(`${key}: ${fileOf(nameOf(key))} creates a function no migration creates (a new function, or a new overload: another signature)`);
      } else if (migrated.get(key) !== definition) {
        problems.push(
          `${key}: the migrations create another ${nameOf(key)} than ${fileOf(nameOf(key))} (changed in one place only: ` +
            `a change is an edit of the file plus a new migration with a copy of it); ${firstDifference(migrated.get(key)!, definition)}`,
        );
      }
    }
    const named = new Set(files.map((f) => f.name));
    for (const key of migrated.keys()) {
      if (!named.has(nameOf(key))) problems.push(`${key}: the migrations create it, but there is no ${fileOf(nameOf(key))}`);
    }
    const live = new Set([...migrated.keys()].map(nameOf));
    for (const f of files) if (!live.has(f.name)) problems.push(`${f.name}: ${f.path} defines a function that no migration creates`);
  } finally {
    await client.query('ROLLBACK');
  }
  return problems;
}


describe('src/ledger/sql: the functions the migrations create, one file each', () => {
  let db: TestDatabase;
  let client: pg.PoolClient;

  beforeAll(async () => {
    db = await createTestDatabase();
    client = await db.pool.connect();
  });
  afterAll(async () => {
    client.release();
    await db.drop();
  });

  it('every file is one CREATE OR REPLACE FUNCTION of the function it is named after, with a comment above it', () => {
    const files = sqlFiles();
    expect(files.length).toBeGreaterThanOrEqual(24);
    const malformed = files.flatMap((f) => {
      const declared = /^(?:--[^\n]*\n)+CREATE OR REPLACE FUNCTION (\w+)\(/.exec(f.text);
      const quotes = f.text.split('$$').length - 1;
      const afterBody = f.text.slice(f.text.lastIndexOf('$$') + 2);
      const wrong = [
        !declared && 'does not start with -- comment lines and then CREATE OR REPLACE FUNCTION',
        declared && declared[1] !== f.name && `defines ${declared[1]}, not ${f.name}`,
        quotes !== 2 && `has ${quotes} $$ (one $$-quoted body expected)`,
        !/^\s*;?\s*$/.test(afterBody) && 'has more than one statement',
      ].filter(Boolean);
      return wrong.map((problem) => `${f.path} ${problem}`);
    });
    expect(malformed).toEqual([]);
  });

  it('a freshly migrated database runs exactly the functions in the files: executing them changes nothing', async () => {
    expect(await drift(client, sqlFiles())).toEqual([]);
  });

  it('the files are named after the live functions, one for each, and none more', async () => {
    const live = [...new Set([...(await liveFunctions(client)).keys()].map(nameOf))].sort();
    expect(live).toEqual(sqlFiles().map((f) => f.name));
    expect(live).toEqual(expect.arrayContaining(['post_movement', 'claim_and_lock', 'hold_is_due', 'hold_status_at', 'entries_assert_balanced']));
  });

  it('the check can fail, in each direction, naming the function', async () => {
    const files = sqlFiles();
    const edited = files.map((f) =>
      f.name === 'refusal' ? { ...f, text: f.text.replace("'outcome', 'refused'", "'outcome',  'refused'") } : f,
    );
    const overload = { name: 'refusal', path: fileOf('refusal'), text: '-- a new signature\nCREATE OR REPLACE FUNCTION refusal(p_code text) RETURNS jsonb LANGUAGE sql AS $$ SELECT NULL::jsonb $$;' };
    const unbacked = { name: 'spec_unbacked', path: fileOf('spec_unbacked'), text: '-- no migration\nCREATE OR REPLACE FUNCTION spec_unbacked() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;' };
    const withoutFile = files.filter((f) => f.name !== 'hold_document');

    const found = [
      ...(await drift(client, edited)),
      ...(await drift(client, [...files, overload, unbacked])),
      ...(await drift(client, withoutFile)),
      // a migration that changed a function (and a new one) without touching src/ledger/sql/
      ...(await drift(client, files, async () => {
        await client.query(`CREATE OR REPLACE FUNCTION hold_is_due(p_status text, p_expires_at timestamptz, p_at timestamptz)
                             RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT p_status = 'active' AND p_expires_at < p_at $$`);
        await client.query(`CREATE FUNCTION spec_orphan() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$`);
      })),
    ];
    const named = (pattern: RegExp) => found.filter((problem) => pattern.test(problem)).length;
    expect({
      editedFile: named(/^refusal\(p_code text, p_detail text\): the migrations create another refusal/),
      overload: named(/^refusal\(p_code text\): .* creates a function no migration creates/),
      unbackedFile: named(/^spec_unbacked: .* defines a function that no migration creates/),
      missingFile: named(/^hold_document\(p_id uuid\): the migrations create it, but there is no src\/ledger\/sql\/hold_document\.sql/),
      migrationWithoutFile: named(/^hold_is_due\(.*\): the migrations create another hold_is_due/),
      liveWithoutFile: named(/^spec_orphan\(\): the migrations create it, but there is no/),
    }).toEqual({ editedFile: 1, overload: 1, unbackedFile: 1, missingFile: 1, migrationWithoutFile: 1, liveWithoutFile: 1 });
    // and the database is as it was
    expect(await drift(client, files)).toEqual([]);
  });
});

describe('the due-hold rule, hold_is_due and hold_status_at', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db.drop();
  });

  // The service's read queries call them by these names and signatures.
  it('keep their signatures, and stay inlinable: plain SQL, IMMUTABLE, not STRICT, no SET', async () => {
    const { rows } = await db.pool.query(`
      SELECT p.oid::regprocedure::text AS signature, pg_get_function_result(p.oid) AS result, l.lanname AS language,
             p.provolatile AS volatility, p.proisstrict AS strict, p.proconfig AS config, p.prosecdef AS security_definer
        FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang
       WHERE p.proname IN ('hold_is_due', 'hold_status_at') ORDER BY 1`);
    const inlinable = { language: 'sql', volatility: 'i', strict: false, config: null, security_definer: false };
    expect(rows).toEqual([
      { signature: 'hold_is_due(text,timestamp with time zone,timestamp with time zone)', result: 'boolean', ...inlinable },
      { signature: 'hold_status_at(text,timestamp with time zone,timestamp with time zone)', result: 'text', ...inlinable },
    ]);
  });

  it("say what the literal predicate says: due when active and expires_at is at or before the time", async () => {
    const { rows } = await db.pool.query(`
      SELECT status, expires_at, hold_is_due(status, expires_at, at) AS due, hold_status_at(status, expires_at, at) AS seen
        FROM (VALUES ('active', '2030-01-01T00:00:00Z'::timestamptz), ('active', '2030-01-01T00:00:00.001Z'),
                     ('active', '2029-12-31T23:59:59Z'), ('active', NULL), ('voided', '2029-01-01T00:00:00Z'),
                     ('captured', '2029-01-01T00:00:00Z')) h(status, expires_at),
             (VALUES ('2030-01-01T00:00:00Z'::timestamptz)) t(at)`);
    expect(rows.map((row) => [row.status, row.due, row.seen])).toEqual([
      ['active', true, 'expired'],
      ['active', false, 'active'],
      ['active', true, 'expired'],
      ['active', null, 'active'], // a hold without expiry is never due (NULL, as the literal predicate)
      ['voided', false, 'voided'],
      ['captured', false, 'captured'],
    ]);
  });

  it("inline: release_due_holds' UPDATE finds a wallet's due holds through the partial index holds_active_wallet_expiry_idx", async () => {
    const client = await db.pool.connect();
    const plans: string[] = [];
    const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
    client.on('notice', onNotice);
    try {
      await client.query('BEGIN');
      // 100 wallets with 50 holds each, one in ten still active: enough for the planner to prefer the partial index.
      await client.query(`INSERT INTO wallets (tenant_id, owner_id, currency, balance) SELECT 'spec', 'owner_' || g, 'EUR', 1000000 FROM generate_series(1, 100) g`);
      await client.query(`
        INSERT INTO holds (id, tenant_id, wallet_id, currency, amount, status, expires_at, created_at, released_at)
        SELECT gen_random_uuid(), 'spec', w.id, 'EUR', 10, CASE WHEN g % 10 = 0 THEN 'active' ELSE 'voided' END,
               now() + (g % 7 - 3) * interval '1 hour', now() - interval '1 day', CASE WHEN g % 10 <> 0 THEN now() END
          FROM wallets w, generate_series(1, 50) g WHERE w.tenant_id = 'spec'`);
      await client.query(`UPDATE wallets w SET held = (SELECT sum(amount) FROM holds h WHERE h.wallet_id = w.id AND h.status = 'active') WHERE tenant_id = 'spec'`);
      await client.query('ANALYZE holds');
      await client.query('ANALYZE wallets');
      // auto_explain reports the plan of each statement inside the function, as a notice to this session.
      await client.query(`LOAD 'auto_explain'`);
      await client.query(`SET LOCAL auto_explain.log_min_duration = 0`);
      await client.query(`SET LOCAL auto_explain.log_nested_statements = on`);
      await client.query(`SET LOCAL auto_explain.log_level = notice`);
      const { rows } = await client.query(`SELECT release_due_holds(id, now()) AS released FROM wallets WHERE tenant_id = 'spec' ORDER BY id LIMIT 1`);
      expect(Number(rows[0].released)).toBeGreaterThan(0);
      const update = plans.filter((plan) => plan.includes('UPDATE holds SET status'));
      expect(update).toHaveLength(1);
      expect(update[0]).toMatch(/Index Scan on holds_active_wallet_expiry_idx|Index Scan using holds_active_wallet_expiry_idx/);

      // and in a read query of the kind the service writes with it
      const explained = await client.query(
        `EXPLAIN SELECT id, hold_status_at(status, expires_at, $1) FROM holds WHERE hold_is_due(status, expires_at, $1)`,
        [new Date()],
      );
      expect(explained.rows.map((row) => row['QUERY PLAN']).join('\n')).toMatch(/holds_active_expiry_idx/);
    } finally {
      client.off('notice', onNotice);
      await client.query('ROLLBACK');
      client.release();
    }
  });
});

describe('migrating down and up again', () => {
  const serverUrl = process.env.TEST_SERVER_URL!;
  const name = `wallet_down_up_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(serverUrl, name);

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name} TEMPLATE template0`);
    await admin.end();
  });
  afterAll(async () => {
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  function dataSource(migrations: typeof MIGRATIONS): DataSource {
    const options = databaseOptions({ entities: ENTITIES, url, poolSize: 1, connectionTimeoutMs: 5_000, lockTimeoutMs: 10_000, statementTimeoutMs: 60_000 });
    return new DataSource({ ...options, migrations });
  }

  async function functionsNow(): Promise<Record<string, string>> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return Object.fromEntries(await liveFunctions(client));
    } finally {
      await client.end();
    }
  }

  // Every down() that restores a function reads an older migration's frozen file; this runs them all.
  it('each down() leaves the functions exactly as they were before its up(), the whole way down, and up again', async () => {
    const afterUp: Record<string, string>[] = [];
    for (let applied = 1; applied <= MIGRATIONS.length; applied++) {
      const stepping = await dataSource(MIGRATIONS.slice(0, applied)).initialize();
      try {
        await stepping.runMigrations({ transaction: 'each' });
      } finally {
        await stepping.destroy();
      }
      afterUp.push(await functionsNow());
    }
    expect(Object.keys(afterUp.at(-1)!)).toContain('claim_and_lock(p_tenant_id text, p_wallet_ids uuid[], p_idem_scope text, p_idem_key text, p_request_hash text, p_transaction_id uuid)');

    const all = await dataSource(MIGRATIONS).initialize();
    try {
      for (let applied = MIGRATIONS.length; applied >= 1; applied--) {
        const migration: MigrationInterface = new MIGRATIONS[applied - 1]();
        // TypeORM's revert ignores `transaction = false` (CREATE INDEX CONCURRENTLY cannot run in a transaction).
        await all.undoLastMigration({ transaction: migration.transaction === false ? 'none' : 'each' });
        const before = applied >= 2 ? afterUp[applied - 2] : {};
        expect({ undone: migration.name, functions: await functionsNow() }).toEqual({ undone: migration.name, functions: before });
      }
      await all.runMigrations({ transaction: 'each' });
      expect(await functionsNow()).toEqual(afterUp.at(-1));
    } finally {
      await all.destroy();
    }
  });
});
