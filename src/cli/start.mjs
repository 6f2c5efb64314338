// npm start: builds only when the build's inputs changed since the last `npm run build` (build-stamp.mjs), then runs
// the service from dist/ in this very process, so that signals (SIGTERM, Ctrl-C) reach the service's own handlers
// and its exit code is the process's. Plain JavaScript, not compiled: it runs before there is a build.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SERVICE_ENTRY, staleBuildReason } from './build-stamp.mjs';

// npm runs a package's scripts from its root.
const root = process.cwd();
const reason = staleBuildReason(root);
// On stderr: stdout is the service's JSON log lines.
if (reason === null) {
  console.error(`npm start: the build in dist/ is current; starting it without building`);
} else {
  console.error(`npm start: building, because ${reason}`);
  // The npm that runs this script (npm_execpath), else the one on PATH.
  const npmCli = process.env.npm_execpath;
  const result = npmCli
    ? spawnSync(process.execPath, [npmCli, 'run', 'build'], { cwd: root, stdio: 'inherit' })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit', shell: process.platform === 'win32' });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error('npm start: the build failed; not starting');
    process.exit(result.status ?? 1);
  }
}
await import(pathToFileURL(join(root, SERVICE_ENTRY)).href);
