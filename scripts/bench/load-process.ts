import { fork, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './service-process.ts';

/**
 * A benchmark's load generator as a process of its own (its CPU is not the server's), spoken to
 * over IPC: commands go in, typed events come out and are awaited by type.
 */
export class LoadProcess<Command, Event extends { type: string }> {
  readonly child: ChildProcess;
  private readonly queue: Event[] = [];
  private readonly waiters = new Set<() => void>();
  private exit: string | undefined;

  constructor(script: string, args: readonly string[], env: Record<string, string> = {}) {
    this.child = fork(`${REPO_ROOT}${script}`, [...args], { cwd: REPO_ROOT, execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child.on('message', (event: Event) => {
      this.queue.push(event);
      this.wake();
    });
    this.child.once('exit', (code, signal) => {
      this.exit = `the load process ${script} exited (${code ?? signal})`;
      this.wake();
    });
  }

  get exited(): boolean {
    return this.exit !== undefined;
  }

  command(command: Command): void {
    this.child.send(command as object);
  }

  /** The next event of a type (earlier events of other types stay queued). */
  next<T extends Event['type']>(type: T, timeoutMs: number): Promise<Extract<Event, { type: T }>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`the load process sent no ${type} within ${timeoutMs / 1_000} s`)), timeoutMs);
      const finish = (error?: Error, event?: Event) => {
        clearTimeout(timer);
        this.waiters.delete(look);
        if (error) reject(error);
        else resolve(event as Extract<Event, { type: T }>);
      };
      const look = () => {
        const index = this.queue.findIndex((event) => event.type === type);
        if (index >= 0) return finish(undefined, this.queue.splice(index, 1)[0]);
        if (this.exit) finish(new Error(this.exit));
      };
      this.waiters.add(look);
      look();
    });
  }

  /** Sends `exit`-like command (if given), waits a moment, then kills. */
  async close(exitCommand?: Command, graceMs = 10_000): Promise<void> {
    if (this.exited) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    if (exitCommand !== undefined) this.command(exitCommand);
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, graceMs))]);
    this.kill();
  }

  kill(): void {
    if (!this.exited) this.child.kill('SIGKILL');
  }

  private wake(): void {
    for (const wake of this.waiters) wake();
  }
}
