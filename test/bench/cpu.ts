/**
 * Where the CPU goes during a load run: the service process, PostgreSQL (postmaster and every backend), the load
 * generator (this process) and the rest of the machine, all from /proc (Linux). Every reader answers null where
 * its figure cannot be known exactly (no /proc, a remote server, a process that is gone): the report prints
 * "n/a" then, never an estimate.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';

/** The fields of /proc/<pid>/stat the benchmark uses; times in clock ticks (USER_HZ). */
export interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  /** Time of reaped children (and of their reaped children): a backend's CPU lands here once it has exited. */
  cutime: number;
  cstime: number;
  /** Clock ticks after boot at which the process started. */
  starttime: number;
}

/** Parses one /proc/<pid>/stat line; null if it is not one. The command name may hold spaces and parentheses. */
export function parseProcStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  // After ") ": field 3 (state) is index 0, so field n is index n - 3.
  const fields = text.slice(close + 2).trim().split(/\s+/);
  const field = (n: number) => Number(fields[n - 3]);
  const stat = {
    pid,
    comm: text.slice(open + 1, close),
    ppid: field(4),
    utime: field(14),
    stime: field(15),
    cutime: field(16),
    cstime: field(17),
    starttime: field(22),
  };
  const numbers = [stat.pid, stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime, stat.starttime];
  return numbers.every((value) => Number.isSafeInteger(value) && value >= 0) ? stat : null;
}

/** From /proc/stat: the machine's busy time over all cores in clock ticks, and its boot time (epoch seconds). */
export interface MachineStat {
  /** user + nice + system + irq + softirq, all cores (guest time is already inside user/nice; idle, iowait, steal are not busy). */
  busyTicks: number;
  bootEpochS: number | null;
}

export function parseMachineStat(text: string): MachineStat | null {
  const cpuLine = /^cpu\s+(.+)$/m.exec(text);
  if (!cpuLine) return null;
  const [user, nice, system, , , irq, softirq] = cpuLine[1]!.trim().split(/\s+/).map(Number);
  const parts = [user, nice, system, irq, softirq];
  if (!parts.every((value) => value !== undefined && Number.isSafeInteger(value) && value >= 0)) return null;
  const btime = /^btime\s+(\d+)$/m.exec(text);
  return { busyTicks: parts.reduce<number>((sum, value) => sum + value!, 0), bootEpochS: btime ? Number(btime[1]) : null };
}

/** Where /proc is read from; tests substitute their own. */
export interface ProcSource {
  /** The text of /proc/<pid>/stat, or null (no such process, not readable). */
  readStat(pid: number): string | null;
  /** Every pid under /proc. */
  listPids(): number[];
  /** The text of /proc/stat, or null. */
  readMachineStat(): string | null;
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export const LINUX_PROC: ProcSource = {
  readStat: (pid) => readOrNull(`/proc/${pid}/stat`),
  listPids: () => {
    try {
      return readdirSync('/proc')
        .filter((name) => /^\d+$/.test(name))
        .map(Number);
    } catch {
      return [];
    }
  },
  readMachineStat: () => readOrNull('/proc/stat'),
};

let ticksPerSecond: number | undefined;
/** USER_HZ, the unit of /proc times (100 on Linux unless getconf says otherwise). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8', timeout: 2_000 }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of one process (all its threads) in ms; null where unavailable. */
export function processCpuMs(pid: number, source: ProcSource = LINUX_PROC): number | null {
  const text = source.readStat(pid);
  const stat = text === null ? null : parseProcStat(text);
  return stat === null ? null : ((stat.utime + stat.stime) * 1000) / clockTicksPerSecond();
}

/** Busy time of the machine (all cores) in ms; null where /proc/stat is unreadable. */
export function machineBusyMs(source: ProcSource = LINUX_PROC): number | null {
  const text = source.readMachineStat();
  const stat = text === null ? null : parseMachineStat(text);
  return stat === null ? null : (stat.busyTicks * 1000) / clockTicksPerSecond();
}

const POSTMASTER_READ_ATTEMPTS = 5;

/**
 * All CPU PostgreSQL has used, in clock ticks: the postmaster's own utime + stime, its cutime + cstime (every
 * child it has reaped: backends that already exited, autovacuum workers, …), plus utime + stime of its live
 * children. A child that exits between reading the postmaster and reading the children would be missed (not yet
 * in cutime, no longer listed), so the postmaster is read again after the children and the whole reading is
 * repeated if its reaped-children time moved meanwhile. Null if the postmaster is gone or unreadable.
 */
export function postgresTicks(postmasterPid: number, source: ProcSource = LINUX_PROC): number | null {
  const readPostmaster = (): ProcStat | null => {
    const text = source.readStat(postmasterPid);
    const stat = text === null ? null : parseProcStat(text);
    return stat !== null && stat.pid === postmasterPid ? stat : null;
  };
  for (let attempt = 0; attempt < POSTMASTER_READ_ATTEMPTS; attempt++) {
    const before = readPostmaster();
    if (before === null) return null;
    let children = 0;
    for (const pid of source.listPids()) {
      if (pid === postmasterPid) continue;
      const text = source.readStat(pid);
      const stat = text === null ? null : parseProcStat(text); // gone meanwhile: it is in cutime now, or next time
      if (stat !== null && stat.ppid === postmasterPid) children += stat.utime + stat.stime;
    }
    const after = readPostmaster();
    if (after === null) return null;
    if (after.cutime === before.cutime && after.cstime === before.cstime) {
      return before.utime + before.stime + before.cutime + before.cstime + children;
    }
  }
  return null; // children kept exiting under our feet: no exact figure
}

/** PostgreSQL's CPU, once its postmaster is known. */
export class PostgresCpu {
  constructor(
    readonly postmasterPid: number,
    private readonly source: ProcSource = LINUX_PROC,
  ) {}

  /** CPU used so far, in ms; null if it could not be read exactly this time. */
  readMs(): number | null {
    const ticks = postgresTicks(this.postmasterPid, this.source);
    return ticks === null ? null : (ticks * 1000) / clockTicksPerSecond();
  }
}

/** Hosts that mean "this machine" in a connection URL (a socket directory is given as host=/path). */
export function isLocalDatabaseUrl(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return false;
  }
  const hostParam = parsed.searchParams.get('host');
  if (hostParam !== null) return hostParam.startsWith('/') || isLoopbackHost(hostParam);
  return isLoopbackHost(decodeURIComponent(parsed.hostname));
}

function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === '' || bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare) || bare.startsWith('/');
}

/**
 * Whether a process seen in /proc is the backend the server reports: same start time (its /proc start, after
 * boot, against pg_stat_activity.backend_start) within `toleranceS`. A pid from another pid namespace (PostgreSQL
 * in a container) or another machine names an unrelated local process, which this rejects.
 */
export function sameStart(stat: ProcStat, machine: MachineStat, backendStartEpochS: number, ticks: number, toleranceS = 2): boolean {
  if (machine.bootEpochS === null) return false;
  return Math.abs(machine.bootEpochS + stat.starttime / ticks - backendStartEpochS) <= toleranceS;
}

const LOCATE_TIMEOUT_MS = 10_000;

/**
 * Finds the postmaster behind `url` through one connection: its backend's pid (pg_backend_pid()), checked against
 * /proc (start time, command name), then that backend's parent. Null with the reason where it cannot be exact.
 */
export async function locatePostgres(url: string, source: ProcSource = LINUX_PROC): Promise<{ cpu: PostgresCpu | null; reason: string }> {
  if (!isLocalDatabaseUrl(url)) return { cpu: null, reason: 'the server is not on this machine (DATABASE_URL names another host)' };
  const machineText = source.readMachineStat();
  const machine = machineText === null ? null : parseMachineStat(machineText);
  if (machine === null) return { cpu: null, reason: '/proc/stat is not readable' };
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: LOCATE_TIMEOUT_MS, statement_timeout: LOCATE_TIMEOUT_MS });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number; start: string }>(
      'SELECT pid, extract(epoch FROM backend_start)::text AS start FROM pg_stat_activity WHERE pid = pg_backend_pid()',
    );
    const row = rows[0];
    if (!row) return { cpu: null, reason: 'pg_stat_activity does not show this connection' };
    // Read while the connection is open: the backend exits with it.
    const backendText = source.readStat(row.pid);
    const backend = backendText === null ? null : parseProcStat(backendText);
    if (backend === null) return { cpu: null, reason: `/proc/${row.pid}/stat (the backend) is not readable here` };
    if (!sameStart(backend, machine, Number(row.start), clockTicksPerSecond())) {
      return { cpu: null, reason: `local pid ${row.pid} is not this server's backend (another pid namespace or machine?)` };
    }
    const postmasterText = source.readStat(backend.ppid);
    const postmaster = postmasterText === null ? null : parseProcStat(postmasterText);
    if (postmaster === null) return { cpu: null, reason: `/proc/${backend.ppid}/stat (the postmaster) is not readable` };
    if (postmaster.comm !== backend.comm) {
      return { cpu: null, reason: `the backend's parent ${backend.ppid} is "${postmaster.comm}", not the postmaster "${backend.comm}"` };
    }
    const cpu = new PostgresCpu(postmaster.pid, source);
    if (cpu.readMs() === null) return { cpu: null, reason: `the CPU time of postmaster ${postmaster.pid} and its children is not readable` };
    return { cpu, reason: `postmaster pid ${postmaster.pid}` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The CPU counters at one instant, in ms (null = unknown). */
export interface CpuSample {
  atMs: number;
  serviceMs: number | null;
  databaseMs: number | null;
  loadGeneratorMs: number;
  machineBusyMs: number | null;
}

export function takeCpuSample(servicePid: number, postgres: PostgresCpu | null, source: ProcSource = LINUX_PROC): CpuSample {
  const usage = process.cpuUsage();
  return {
    atMs: performance.now(),
    serviceMs: processCpuMs(servicePid, source),
    databaseMs: postgres === null ? null : postgres.readMs(),
    loadGeneratorMs: (usage.user + usage.system) / 1000,
    machineBusyMs: machineBusyMs(source),
  };
}

/** CPU used between two samples, in ms; `otherMs` is the machine's busy time the three parts do not explain. */
export interface CpuSplit {
  wallMs: number;
  cores: number;
  serviceMs: number | null;
  databaseMs: number | null;
  loadGeneratorMs: number;
  machineBusyMs: number | null;
  otherMs: number | null;
}

const delta = (start: number | null, end: number | null): number | null => (start === null || end === null ? null : end - start);

export function cpuSplit(start: CpuSample, end: CpuSample, cores = cpus().length): CpuSplit {
  const serviceMs = delta(start.serviceMs, end.serviceMs);
  const databaseMs = delta(start.databaseMs, end.databaseMs);
  const loadGeneratorMs = end.loadGeneratorMs - start.loadGeneratorMs;
  const busy = delta(start.machineBusyMs, end.machineBusyMs);
  return {
    wallMs: end.atMs - start.atMs,
    cores,
    serviceMs,
    databaseMs,
    loadGeneratorMs,
    machineBusyMs: busy,
    otherMs: busy === null || serviceMs === null || databaseMs === null ? null : busy - serviceMs - databaseMs - loadGeneratorMs,
  };
}

/** ms of CPU ÷ count, in µs; null when either is unknown or there is nothing to divide by. */
export function microsecondsEach(ms: number | null, count: number | null): number | null {
  if (ms === null || count === null || !(count > 0)) return null;
  return (ms * 1000) / count;
}

/** `a ÷ b` where both are known and b > 0. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a === null || a === undefined || b === null || b === undefined || !(b > 0)) return null;
  return a / b;
}
