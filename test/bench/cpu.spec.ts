import { readFileSync } from 'node:fs';
import {
  clockTicksPerSecond,
  type CpuSample,
  cpuSplit,
  isLocalDatabaseUrl,
  microsecondsEach,
  parseMachineStat,
  parseProcStat,
  postgresTicks,
  type ProcSource,
  ratio,
  sameStart,
} from './cpu.js';

/** A /proc/<pid>/stat line with the given fields (the rest zero), as Linux writes it. */
function statLine(pid: number, comm: string, ppid: number, times: { utime?: number; stime?: number; cutime?: number; cstime?: number; starttime?: number } = {}): string {
  const fields = new Array<string>(52 - 2).fill('0'); // fields 3 … 52
  const set = (n: number, value: number | string) => {
    fields[n - 3] = String(value);
  };
  set(3, 'S');
  set(4, ppid);
  set(14, times.utime ?? 0);
  set(15, times.stime ?? 0);
  set(16, times.cutime ?? 0);
  set(17, times.cstime ?? 0);
  set(22, times.starttime ?? 0);
  return `${pid} (${comm}) ${fields.join(' ')}\n`;
}

/** A fake /proc whose processes can change between reads. */
class FakeProc implements ProcSource {
  processes = new Map<number, string>();
  machine: string | null = 'cpu  100 5 50 1000 7 3 2 9 11 0\ncpu0 50 2 25 500 3 1 1 4 5 0\nbtime 1700000000\n';
  onList: (() => void) | undefined;

  readStat(pid: number): string | null {
    return this.processes.get(pid) ?? null;
  }

  listPids(): number[] {
    const pids = [...this.processes.keys()];
    this.onList?.();
    return pids;
  }

  readMachineStat(): string | null {
    return this.machine;
  }
}

describe('parseProcStat', () => {
  it('reads ppid and the times after a command name holding spaces and parentheses', () => {
    const stat = parseProcStat(statLine(4242, 'postgres: a (b) c', 17, { utime: 120, stime: 30, cutime: 400, cstime: 90, starttime: 5555 }));
    expect(stat).toEqual({ pid: 4242, comm: 'postgres: a (b) c', ppid: 17, utime: 120, stime: 30, cutime: 400, cstime: 90, starttime: 5555 });
  });

  it('reads a real line of this process', () => {
    let text: string;
    try {
      text = readFileSync('/proc/self/stat', 'utf8');
    } catch {
      return; // not Linux
    }
    const stat = parseProcStat(text);
    expect(stat?.pid).toBeGreaterThan(0);
    expect(stat?.ppid).toBeGreaterThanOrEqual(0);
  });

  it('refuses text that is not a stat line', () => {
    expect(parseProcStat('')).toBeNull();
    expect(parseProcStat('12 (x) S')).toBeNull();
  });
});

describe('parseMachineStat', () => {
  it('counts user + nice + system + irq + softirq of the cpu line as busy, and reads btime', () => {
    // user 100, nice 5, system 50, idle 1000, iowait 7, irq 3, softirq 2, steal 9, guest 11 (inside user already)
    expect(parseMachineStat(new FakeProc().machine!)).toEqual({ busyTicks: 160, bootEpochS: 1700000000 });
  });

  it('is null without a cpu line', () => {
    expect(parseMachineStat('intr 1 2 3\n')).toBeNull();
  });
});

describe('postgresTicks', () => {
  it('adds the postmaster (own and reaped children) and its live children, not other processes', () => {
    const proc = new FakeProc();
    proc.processes.set(1, statLine(1, 'init', 0, { utime: 999 }));
    proc.processes.set(100, statLine(100, 'postgres', 1, { utime: 10, stime: 5, cutime: 200, cstime: 40 }));
    proc.processes.set(101, statLine(101, 'postgres', 100, { utime: 30, stime: 7 }));
    proc.processes.set(102, statLine(102, 'postgres', 100, { utime: 3, stime: 1, cutime: 1_000 })); // a child's cutime is inside the postmaster's once reaped
    proc.processes.set(200, statLine(200, 'node', 1, { utime: 500 }));
    expect(postgresTicks(100, proc)).toBe(10 + 5 + 200 + 40 + 30 + 7 + 3 + 1);
  });

  it('reads again when a child is reaped during the reading, so its time is counted once', () => {
    const proc = new FakeProc();
    proc.processes.set(100, statLine(100, 'postgres', 1, { utime: 10, cutime: 200 }));
    proc.processes.set(101, statLine(101, 'postgres', 100, { utime: 50 }));
    // After the first listing, backend 101 exits and is reaped: its 50 ticks move to the postmaster's cutime.
    proc.onList = () => {
      proc.onList = undefined;
      proc.processes.delete(101);
      proc.processes.set(100, statLine(100, 'postgres', 1, { utime: 10, cutime: 250 }));
    };
    expect(postgresTicks(100, proc)).toBe(10 + 250);
  });

  it('gives up (null) rather than guess while children keep exiting', () => {
    const proc = new FakeProc();
    let cutime = 0;
    proc.processes.set(100, statLine(100, 'postgres', 1));
    proc.onList = () => {
      cutime += 1;
      proc.processes.set(100, statLine(100, 'postgres', 1, { cutime }));
    };
    expect(postgresTicks(100, proc)).toBeNull();
  });

  it('is null when the postmaster is gone', () => {
    expect(postgresTicks(100, new FakeProc())).toBeNull();
  });
});

describe('cpuSplit', () => {
  const sample = (atMs: number, serviceMs: number | null, databaseMs: number | null, loadGeneratorMs: number, machineBusyMs: number | null): CpuSample => ({
    atMs,
    serviceMs,
    databaseMs,
    loadGeneratorMs,
    machineBusyMs,
  });

  it('subtracts the three measured parts from the machine busy time to give "other"', () => {
    const split = cpuSplit(sample(1_000, 500, 2_000, 100, 10_000), sample(4_000, 2_600, 4_500, 700, 16_000), 2);
    expect(split).toEqual({ wallMs: 3_000, cores: 2, serviceMs: 2_100, databaseMs: 2_500, loadGeneratorMs: 600, machineBusyMs: 6_000, otherMs: 800 });
  });

  it('leaves unknown parts unknown, and then "other" too', () => {
    const split = cpuSplit(sample(0, 0, null, 0, 0), sample(1_000, 100, null, 10, 300), 2);
    expect(split.databaseMs).toBeNull();
    expect(split.otherMs).toBeNull();
    expect(split.serviceMs).toBe(100);
  });
});

describe('microsecondsEach and ratio', () => {
  it('divides ms by a count into µs, and refuses zero or unknown', () => {
    expect(microsecondsEach(2_100, 7_000)).toBe(300);
    expect(microsecondsEach(2_100, 0)).toBeNull();
    expect(microsecondsEach(null, 10)).toBeNull();
    expect(ratio(300, 120)).toBe(2.5);
    expect(ratio(300, 0)).toBeNull();
    expect(ratio(null, 1)).toBeNull();
    expect(ratio(1, undefined)).toBeNull();
  });
});

describe('isLocalDatabaseUrl', () => {
  it('accepts loopback hosts and socket directories, nothing else', () => {
    expect(isLocalDatabaseUrl('postgres://u:p@localhost:5432/db?host=%2Ftmp%2Fwallet-bench-pg-x')).toBe(true);
    expect(isLocalDatabaseUrl('postgres://u:p@127.0.0.1:5432/db')).toBe(true);
    expect(isLocalDatabaseUrl('postgres://u:p@[::1]:5432/db')).toBe(true);
    expect(isLocalDatabaseUrl('postgresql:///db?host=/var/run/postgresql')).toBe(true);
    expect(isLocalDatabaseUrl('postgres://u:p@db.internal:5432/db')).toBe(false);
    expect(isLocalDatabaseUrl('postgres://u:p@localhost/db?host=db.internal')).toBe(false);
    expect(isLocalDatabaseUrl('not a url')).toBe(false);
  });
});

describe('sameStart', () => {
  it('matches a process start (ticks after boot) with the backend start the server reports', () => {
    const ticks = clockTicksPerSecond();
    const stat = parseProcStat(statLine(7, 'postgres', 1, { starttime: 30 * ticks }))!;
    const machine = { busyTicks: 0, bootEpochS: 1_700_000_000 };
    expect(sameStart(stat, machine, 1_700_000_030.4, ticks)).toBe(true);
    expect(sameStart(stat, machine, 1_700_000_090, ticks)).toBe(false);
    expect(sameStart(stat, { busyTicks: 0, bootEpochS: null }, 1_700_000_030, ticks)).toBe(false);
  });
});
