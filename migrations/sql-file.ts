import { readFileSync } from 'node:fs';

/**
 * The SQL text a migration applies, read from its own folder: `migrations/sql/<version>/<name>.sql`, where
 * version is the migration's timestamp. Compiled, this file sits in dist/migrations/ and reads
 * dist/migrations/sql/ (nest-cli.json copies the .sql files there).
 *
 * Those files are frozen: each holds a function as it was when its migration was written, and is never
 * edited afterwards, so a migration applies the same text today as on the day it first ran, and a down()
 * that puts back an older body reads the older migration's file, never another migration's code. The
 * functions as they run today are in src/ledger/sql/; changing one means editing its file there and adding
 * a new migration whose folder holds a copy of the new text (test/integration/ledger-sql.spec.ts compares
 * the functions a freshly migrated database runs with src/ledger/sql/).
 */
export function migrationSql(version: string, name: string): string {
  if (!/^\d{13}$/.test(version)) throw new Error(`not a migration timestamp: ${version}`);
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a SQL file name: ${name}`);
  return readFileSync(new URL(`./sql/${version}/${name}.sql`, import.meta.url), 'utf8');
}

/**
 * A frozen `CREATE FUNCTION` statement as `CREATE OR REPLACE FUNCTION`: how a down() puts an older body
 * back over the newer one (the body and everything else in the text stay as frozen).
 */
export function replacing(statement: string): string {
  const leading = /^((?:\s*--[^\n]*\n)*\s*)CREATE FUNCTION\b/;
  if (!leading.test(statement)) throw new Error(`not a CREATE FUNCTION statement: ${statement.slice(0, 200)}`);
  return statement.replace(leading, '$1CREATE OR REPLACE FUNCTION');
}
