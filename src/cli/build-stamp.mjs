// The build's stamp: `npm run build` runs its command through this file (`node src/cli/build-stamp.mjs nest build …`),
// which writes dist/.build-stamp once the command succeeds; `npm start` (start.mjs) compares the build's inputs with
// it to decide whether to build again. Plain JavaScript, not compiled: it runs before there is a build.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Everything the build reads, relative to the package root: what tsconfig.build.json includes (src/, migrations/,
 * test/bench/) and nest-cli.json's assets (the SQL under src/ and migrations/), the compiler's and Nest's settings,
 * and the dependencies as the lock file pins them. A folder counts with all it holds and with its own mtime, which
 * changes when a file in it is deleted or renamed. Missing paths are skipped (an image has no test/bench/).
 */
export const BUILD_INPUTS = ['src', 'migrations', 'test/bench', 'tsconfig.json', 'tsconfig.build.json', 'nest-cli.json', 'package.json', 'package-lock.json'];
export const BUILD_STAMP = 'dist/.build-stamp';
export const SERVICE_ENTRY = 'dist/src/main.js';

/** The most recently modified of the build's inputs under `root`: its path and mtime. */
export function newestInput(root) {
  let newest = { path: null, mtimeMs: 0 };
  const visit = (path) => {
    let stats;
    try {
      stats = statSync(path);
    } catch (error) {
      if (error.code === 'ENOENT') return;
      throw error;
    }
    if (stats.mtimeMs > newest.mtimeMs) newest = { path: relative(root, path), mtimeMs: stats.mtimeMs };
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  for (const input of BUILD_INPUTS) visit(join(root, input));
  return newest;
}

/** Why the build under `root` cannot be started as it is, or null when it is current. */
export function staleBuildReason(root) {
  if (!existsSync(join(root, SERVICE_ENTRY))) return `there is no build (${SERVICE_ENTRY})`;
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(root, BUILD_STAMP), 'utf8'));
  } catch {
    return `${BUILD_STAMP} is missing or unreadable (dist/ was not built by npm run build)`;
  }
  if (typeof stamp?.inputsAsOfMs !== 'number') return `${BUILD_STAMP} is unreadable`;
  const newest = newestInput(root);
  if (newest.mtimeMs > stamp.inputsAsOfMs) return `${newest.path} changed since the last build`;
  return null;
}

/** Runs the build command under `root`; when it succeeds, stamps the build. Returns the command's exit code. */
export function buildAndStamp(root, command, args) {
  // Taken before the build reads anything: a file saved while it runs is newer than the stamp, so the next start
  // builds again instead of trusting a build that may have read the file before the change.
  const inputs = newestInput(root);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  if (result.status !== 0) return result.status ?? 1;
  const stamp = { inputsAsOfMs: inputs.mtimeMs, newestInput: inputs.path, builtAt: new Date().toISOString() };
  writeFileSync(join(root, BUILD_STAMP), `${JSON.stringify(stamp, null, 2)}\n`);
  return 0;
}

// As a script (package.json's build): node src/cli/build-stamp.mjs <build command> [arguments…], from the package root.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [command, ...args] = process.argv.slice(2);
  if (!command) {
    console.error('usage: node src/cli/build-stamp.mjs <build command> [arguments…]');
    process.exit(2);
  }
  process.exitCode = buildAndStamp(process.cwd(), command, args);
}
