import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

/**
 * How `npm start` decides whether to build (src/cli/start.mjs, src/cli/build-stamp.mjs): the real launcher and the
 * real stamp, run by npm on a package laid out like this one, whose build is a stand-in that writes a dist/src/main.js
 * saying it ran. What was decided is read from what the run printed, never from how long it took.
 */

const LAUNCHER = resolve('src/cli/start.mjs');
const STAMPER = resolve('src/cli/build-stamp.mjs');
const BUILDS = 'stand-in build ran';
const SERVICE_RAN = 'service ran';

/** Stands in for `nest build`: clears dist/ as nest's deleteOutDir does, then writes the entry point. */
const STAND_IN_BUILD = `
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
console.log('${BUILDS}');
if (process.env.BUILD_FAILS) process.exit(4);
rmSync('dist', { recursive: true, force: true });
// An editor saving a source while the build runs, after the build has read it.
if (process.env.SAVE_DURING_BUILD) writeFileSync(process.env.SAVE_DURING_BUILD, '// saved while building\\n');
mkdirSync('dist/src', { recursive: true });
writeFileSync('dist/src/main.js', ${JSON.stringify(`
if (process.env.SERVICE_WAITS) {
  const alive = setInterval(() => undefined, 1000);
  process.once('SIGTERM', () => {
    console.log('SIGTERM reached the service');
    clearInterval(alive);
  });
}
console.log('${SERVICE_RAN}');
process.exitCode = Number(process.env.SERVICE_EXIT_CODE ?? 0);
`)});
`;

/** The build's inputs as this package has them, one file or folder of each kind. */
const INPUT_FILES = [
  'src/main.ts',
  'src/ledger/sql/post_movement.sql',
  'migrations/1764070000000-Init.ts',
  'test/bench/run-bench.ts',
  'tsconfig.json',
  'tsconfig.build.json',
  'nest-cli.json',
  'package-lock.json',
];

function setTimesUnder(path: string, when: Date): void {
  if (statSync(path).isDirectory()) for (const name of readdirSync(path)) setTimesUnder(join(path, name), when);
  utimesSync(path, when, when); // a folder after what it holds: writing into a folder changes its mtime
}

function touch(path: string): void {
  const now = new Date();
  utimesSync(path, now, now);
}

describe('npm start builds only when the build is not current', () => {
  let root: string;
  const at = (path: string) => join(root, path);

  // Without the npm_* variables of the npm running the tests, which describe another package.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.toLowerCase().startsWith('npm_')));

  /** `npm start` in the package: its exit code and everything it printed. */
  function npmStart(env: Record<string, string> = {}, script = 'start'): { status: number | null; output: string } {
    const result = spawnSync('npm', ['run', script], { cwd: root, encoding: 'utf8', env: { ...inherited, ...env }, timeout: 30_000 });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  function expectBuilt(run: { status: number | null; output: string }, because: string): void {
    expect(run.output).toContain(`npm start: building, because ${because}`);
    expect(run.output).toContain(BUILDS);
    expect(run.output).toContain(SERVICE_RAN);
    expect(run.status).toBe(0);
  }

  function expectNotBuilt(run: { status: number | null; output: string }): void {
    expect(run.output).toContain('npm start: the build in dist/ is current; starting it without building');
    expect(run.output).not.toContain(BUILDS);
    expect(run.output).toContain(SERVICE_RAN);
    expect(run.status).toBe(0);
  }

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'wallet-npm-start-'));
    const scripts = { build: `node ${JSON.stringify(STAMPER)} node build.mjs`, start: `node ${JSON.stringify(LAUNCHER)}` };
    writeFileSync(at('package.json'), JSON.stringify({ name: 'npm-start-check', private: true, type: 'module', scripts }, null, 2));
    writeFileSync(at('build.mjs'), STAND_IN_BUILD);
    for (const file of INPUT_FILES) {
      mkdirSync(dirname(at(file)), { recursive: true });
      writeFileSync(at(file), `// ${file}\n`);
    }
    // Written an hour ago, so that every change below is newer, whatever the file system's clock granularity.
    const anHourAgo = new Date(Date.now() - 3_600_000);
    for (const input of ['src', 'migrations', 'test', 'package.json', ...INPUT_FILES.filter((file) => !file.includes('/'))]) setTimesUnder(at(input), anHourAgo);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('builds when there is no build, then starts it', () => {
    expectBuilt(npmStart(), 'there is no build (dist/src/main.js)');
  });

  it('a second start does not build', () => {
    expectNotBuilt(npmStart());
    expectNotBuilt(npmStart());
  });

  it.each(['src/ledger/sql/post_movement.sql', 'migrations/1764070000000-Init.ts', 'test/bench/run-bench.ts', 'tsconfig.build.json', 'package-lock.json'])(
    'builds again after %s changed, and only once',
    (file) => {
      touch(at(file));
      expectBuilt(npmStart(), `${file} changed since the last build`);
      expectNotBuilt(npmStart());
    },
  );

  it('builds again after a source was deleted (its folder changed)', () => {
    unlinkSync(at('src/ledger/sql/post_movement.sql'));
    expectBuilt(npmStart(), 'src/ledger/sql changed since the last build');
    expectNotBuilt(npmStart());
  });

  it('a build made by npm run build counts: the next start does not build', () => {
    touch(at('src/main.ts'));
    const build = npmStart({}, 'build');
    expect(build.output).toContain(BUILDS);
    expect(build.status).toBe(0);
    expectNotBuilt(npmStart());
  });

  it('a dist/ without a stamp (built some other way) is built again', () => {
    rmSync(at('dist/.build-stamp'));
    expectBuilt(npmStart(), 'dist/.build-stamp is missing or unreadable (dist/ was not built by npm run build)');
  });

  it('a source saved while the build runs is built at the next start', () => {
    touch(at('src/main.ts'));
    expectBuilt(npmStart({ SAVE_DURING_BUILD: 'src/main.ts' }), 'src/main.ts changed since the last build');
    expectBuilt(npmStart(), 'src/main.ts changed since the last build');
    expectNotBuilt(npmStart());
  });

  it('a failed build is not started, and is tried again at the next start', () => {
    touch(at('src/main.ts'));
    const failed = npmStart({ BUILD_FAILS: '1' });
    expect(failed.output).toContain(BUILDS);
    expect(failed.output).toContain('npm start: the build failed; not starting');
    expect(failed.output).not.toContain(SERVICE_RAN);
    expect(failed.status).not.toBe(0);
    expectBuilt(npmStart(), 'src/main.ts changed since the last build');
  });

  it("the service's exit code is npm start's", () => {
    expect(npmStart({ SERVICE_EXIT_CODE: '3' })).toMatchObject({ status: 3 });
  });

  it('the service runs in the launcher\'s own process: a SIGTERM to it reaches the service\'s handler', async () => {
    const child = spawn(process.execPath, [LAUNCHER], { cwd: root, env: { ...inherited, SERVICE_WAITS: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    await new Promise<void>((resolveRan, rejectRan) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes(SERVICE_RAN)) resolveRan();
      });
      child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.once('exit', () => rejectRan(new Error(`the launcher exited before the service ran: ${output}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain('SIGTERM reached the service');
  });
});
