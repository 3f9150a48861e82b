import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface FanoutServerSettings {
  readonly transport: 'uws' | 'ws';
  readonly jwtSecret: string;
  readonly brokers: string;
  readonly universeSize: number;
  readonly universeSeed: number;
}

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

/**
 * One `trading-core fanout` process, started the way bin/trading-core starts it, with its last
 * lines of output kept for the error message if it fails.
 */
export class FanoutServer {
  private readonly tail: string[] = [];
  private exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(
    private readonly child: ChildProcess,
    readonly streamPort: number,
    readonly metricsPort: number,
  ) {
    const keep = (data: Buffer) => {
      this.tail.push(...data.toString('utf8').split('\n').filter(Boolean));
      this.tail.splice(0, Math.max(0, this.tail.length - 30));
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', (code, signal) => (this.exited = { code, signal }));
  }

  static async start(settings: FanoutServerSettings): Promise<FanoutServer> {
    const [streamPort, metricsPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, ['--import', 'tsx', 'infrastructure/cli/main.ts', 'fanout'], {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        STREAM_PORT: String(streamPort),
        METRICS_PORT: String(metricsPort),
        HOST: '127.0.0.1',
        JWT_SECRET: settings.jwtSecret,
        KAFKA_BROKERS: settings.brokers,
        FANOUT_TRANSPORT: settings.transport,
        UNIVERSE_SIZE: String(settings.universeSize),
        UNIVERSE_SEED: String(settings.universeSeed),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const server = new FanoutServer(child, streamPort, metricsPort);
    await server.waitReady(90_000);
    return server;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Throws (with the server's last output) when the process has died. */
  check(): void {
    if (this.exited) throw new Error(`the fanout server exited (${this.exited.code ?? this.exited.signal}); its last output:\n${this.output()}`);
  }

  output(): string {
    return this.tail.map((line) => `  | ${line}`).join('\n');
  }

  /** The samples on /metrics by name (the first series of each name); empty when the scrape fails. */
  async metrics(): Promise<Map<string, number>> {
    const samples = new Map<string, number>();
    const text = await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`, { signal: AbortSignal.timeout(5_000) })
      .then((response) => response.text())
      .catch(() => '');
    for (const line of text.split('\n')) {
      if (line.startsWith('#') || line === '') continue;
      const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];
      if (name && !samples.has(name)) samples.set(name, Number(line.slice(line.lastIndexOf(' ') + 1)));
    }
    return samples;
  }

  /** SIGTERM (the server closes its sockets and leaves its Kafka group), SIGKILL after the grace. */
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
      const ready = await fetch(`http://127.0.0.1:${this.metricsPort}/readyz`, { signal: AbortSignal.timeout(1_000) })
        .then((response) => response.status === 200)
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) {
        this.kill();
        throw new Error(`the fanout server was not ready within ${timeoutMs / 1_000} s; its last output:\n${this.output()}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}
