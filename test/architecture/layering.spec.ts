import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * The layering of test/architecture/dependency-cruiser.cjs holds: no import runs against it, no import cycle in
 * src/. Runs the same command as `npm run lint:deps`, with JSON output to read the violations from. The CLI, not
 * dependency-cruiser's JS API, because that is ESM with a dependency graph Jest's VM modules need not load.
 */

const run = promisify(execFile);
const ROOT = resolve('.');
const DEPCRUISE = join(ROOT, 'node_modules/dependency-cruiser/bin/dependency-cruise.mjs');
const CONFIG = 'test/architecture/dependency-cruiser.cjs';

interface Violation {
  from: string;
  to: string;
  rule: { name: string; severity: string };
  cycle?: { name: string }[];
}

interface CruiseResult {
  modules: { source: string; dependencies: { resolved: string }[] }[];
  summary: { violations: Violation[]; totalCruised: number; totalDependenciesCruised: number };
}

async function cruise(): Promise<CruiseResult> {
  const { stdout } = await run(process.execPath, [DEPCRUISE, '--config', CONFIG, '--output-type', 'json', 'src', 'migrations', 'test'], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
  }).catch((error: { stdout?: string; stderr?: string }) => {
    // It exits with the number of errors it found; the JSON on stdout is what counts.
    if (!error.stdout) throw new Error(`dependency-cruiser failed: ${error.stderr ?? String(error)}`);
    return { stdout: error.stdout };
  });
  return JSON.parse(stdout) as CruiseResult;
}

/** One line a reader can act on: the rule, the import, and for a cycle every step of it. */
function readable(violation: Violation): string {
  const cycle = violation.cycle?.length ? ` (cycle: ${[violation.from, ...violation.cycle.map((step) => step.name)].join(' → ')})` : '';
  return `${violation.rule.name}: ${violation.from} → ${violation.to}${cycle}`;
}

describe('layering (dependency-cruiser, test/architecture/dependency-cruiser.cjs)', () => {
  let result: CruiseResult;

  beforeAll(async () => {
    result = await cruise();
  });

  it('finds no import against the layers, no cycle in src/, no import of test/ from src/', () => {
    expect(result.summary.violations.map(readable)).toEqual([]);
  });

  it('saw the imports it checks (resolved .js specifiers to the .ts files)', () => {
    // Guards the check above against passing on nothing: a resolver that lost the files would find no violation.
    const app = result.modules.find((module) => module.source === 'src/app.module.ts');
    expect(app?.dependencies.map((dependency) => dependency.resolved)).toEqual(
      expect.arrayContaining(['src/ledger/ledger.module.ts', 'src/wallets/wallets.module.ts']),
    );
    expect(result.modules.filter((module) => module.source.startsWith('src/')).length).toBeGreaterThan(100);
  });
});
