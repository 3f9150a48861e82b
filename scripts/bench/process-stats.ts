import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux builds everywhere). */
const CLOCK_TICKS = 100;

/**
 * User + system CPU seconds of a process so far, all its threads included — and, with
 * `reapedChildren`, the CPU of its children that have exited (a PostgreSQL backend or autovacuum
 * worker that ends takes its own counters with it, but they are added to its parent's).
 */
export function processCpuSeconds(pid: number, reapedChildren = false): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After the name, field 3 (state) is index 0: utime is field 14, stime 15, cutime 16, cstime 17.
  const own = Number(fields[11]) + Number(fields[12]);
  return (reapedChildren ? own + Number(fields[13]) + Number(fields[14]) : own) / CLOCK_TICKS;
}

/** Resident set size of a process, in bytes. */
export function processRssBytes(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Busy CPU seconds of the whole machine (all cores together), from /proc/stat. */
export function machineBusySeconds(): number {
  return machineCpuTicks().busy / CLOCK_TICKS;
}

/** Busy and total CPU time of the whole machine (all cores), in clock ticks, from /proc/stat. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, total: busy + idle + iowait };
}

/** The machine's shared services, each as the processes that make it up. */
const INFRASTRUCTURE: ReadonlyArray<[string, (argv: readonly string[]) => boolean]> = [
  ['postgresql', (argv) => /(^|\/)postgres(:|$)/.test(argv[0] ?? '')],
  ['redis', (argv) => /(^|\/)redis-server/.test(argv[0] ?? '')],
  ['kafka', (argv) => /(^|\/)java$/.test(argv[0] ?? '') && argv.includes('kafka.Kafka')],
];

/**
 * CPU seconds so far of PostgreSQL (postmaster and every backend), Redis and the Kafka broker.
 * A backend that exits takes its CPU with it, so compare samples of long-lived connections only.
 */
export function infrastructureCpuSeconds(): Map<string, number> {
  const totals = new Map(INFRASTRUCTURE.map(([name]) => [name, 0]));
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const component = INFRASTRUCTURE.find(([, matches]) => matches(argv))?.[0];
      // The postmaster (the one started from the binary's path) carries its exited backends' CPU.
      const parent = component === 'postgresql' && (argv[0] ?? '').startsWith('/');
      if (component) totals.set(component, totals.get(component)! + processCpuSeconds(Number(entry), parent));
    } catch {
      // gone meanwhile
    }
  }
  return totals;
}

/** CPU used between two samples, in cores (CPU seconds per second of the window), by name. */
export function coresBetween(before: ReadonlyMap<string, number>, after: ReadonlyMap<string, number>, seconds: number): Map<string, number> {
  return new Map([...after].filter(([name]) => before.has(name)).map(([name, cpu]) => [name, (cpu - before.get(name)!) / seconds]));
}

/** A process and every process below it (children of any of its threads, recursively), parents first. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let index = 0; index < tree.length; index += 1) {
    const parent = tree[index]!;
    try {
      for (const task of readdirSync(`/proc/${parent}/task`)) {
        const children = readFileSync(`/proc/${parent}/task/${task}/children`, 'utf8').trim();
        if (children) tree.push(...children.split(' ').map(Number));
      }
    } catch {
      // gone meanwhile
    }
  }
  return tree;
}
