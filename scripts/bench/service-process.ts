import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** A port the kernel just handed out (free a moment ago). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ServiceSpec {
  /** What the benchmark calls it in its output (`api`, `fanout-2`, …). */
  readonly name: string;
  /** The `trading-core` sub-command and its arguments. */
  readonly args: readonly string[];
  /** Added to this process's environment. */
  readonly env: Record<string, string>;
  /** Answers 200 once the process is ready (its /readyz, or the simulator's /healthz). */
  readonly readyUrl: string;
  /** Where its Prometheus metrics are. */
  readonly metricsUrl?: string;
  readonly readyTimeoutMs?: number;
}

/**
 * One `trading-core <sub-command>` process, started the way bin/trading-core starts it (from the
 * sources, through tsx), with its last lines of output kept for the error message if it fails.
 */
export class ServiceProcess {
  private readonly tail: string[] = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly spec: ServiceSpec,
  ) {
    const keep = (data: Buffer) => {
      this.tail.push(...data.toString('utf8').split('\n').filter(Boolean));
      this.tail.splice(0, Math.max(0, this.tail.length - 30));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => (this.exited = { code, signal }));
  }

  static async start(spec: ServiceSpec): Promise<ServiceProcess> {
    // BENCH_PROFILE=api,worker writes a V8 CPU profile of those processes when they stop.
    const profiled = (process.env.BENCH_PROFILE ?? '').split(',').some((name) => name === spec.name || name === spec.args[0]);
    const profile = profiled ? ['--cpu-prof', `--cpu-prof-dir=${REPO_ROOT}.run/bench/profiles/${spec.name}`] : [];
    const child = spawn(process.execPath, [...profile, '--import', 'tsx', 'infrastructure/cli/main.ts', ...spec.args], {
      cwd: REPO_ROOT,
      env: { ...process.env, HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const service = new ServiceProcess(child, spec);
    await service.waitReady(spec.readyTimeoutMs ?? 90_000);
    return service;
  }

  get name(): string {
    return this.spec.name;
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exited === undefined;
  }

  /** Throws (with the process's last output) when it has died. */
  check(): void {
    if (this.exited) throw new Error(`${this.name} exited (${this.exited.code ?? this.exited.signal}); its last output:\n${this.output()}`);
  }

  output(): string {
    return this.tail.map((line) => `  | ${line}`).join('\n');
  }

  /** The samples on /metrics by name (the first series of each name); empty when the scrape fails. */
  async metrics(): Promise<Map<string, number>> {
    return scrapeMetrics(this.spec.metricsUrl);
  }

  /** SIGTERM (a graceful shutdown), SIGKILL after the grace. */
  async stop(graceMs = 15_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const killer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(killer);
  }

  /** Kills at once (error paths). */
  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.exited) this.check();
      const ready = await fetch(this.spec.readyUrl, { signal: AbortSignal.timeout(1_000) })
        .then((response) => response.status === 200)
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        this.kill();
        throw new Error(`${this.name} was not ready within ${timeoutMs / 1_000} s; its last output:\n${this.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** Prometheus text → the first sample of each metric name (series labels ignored). */
export async function scrapeMetrics(url: string | undefined): Promise<Map<string, number>> {
  if (!url) return new Map();
  const text = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    .then((response) => response.text())
    .catch(() => '');
  return parseMetrics(text).values;
}

/** The first sample of each metric name in Prometheus text, and how many series it holds. */
export function parseMetrics(text: string): { values: Map<string, number>; series: number } {
  const values = new Map<string, number>();
  let series = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    series += 1;
    const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
    if (name && !values.has(name)) values.set(name, Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return { values, series };
}
