import pg from 'pg';
import { InProcessLogWakeups, type LogWakeups } from '../log-wakeups.ts';

const CHANNEL = 'trading_core_event_log';
/** Other processes learn of new events at most this late (plus a round trip). */
const MIN_NOTIFY_INTERVAL_MS = 5;

/**
 * Wake-ups across processes through LISTEN/NOTIFY. The NOTIFY is sent after the append
 * committed, on its own, one at a time and at most every 5 ms per process: a NOTIFY inside the
 * append would take PostgreSQL's notification-queue lock at every commit and serialise appends.
 */
export class PostgresLogWakeups implements LogWakeups {
  private readonly local = new InProcessLogWakeups();
  private listener: pg.Client | undefined;
  private listening: Promise<void> | undefined;
  private notifyInFlight = false;
  private notifyAgain = false;
  private closed = false;
  private lastNotifyAt = 0;
  private notifyTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly connectionString: string,
    private readonly pool: pg.Pool,
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {}

  wait(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    this.listening ??= this.listen();
    return this.local.wait(timeoutMs, signal);
  }

  appended(): void {
    this.local.appended();
    if (this.notifyInFlight || this.notifyTimer) {
      this.notifyAgain = true;
      return;
    }
    const wait = this.lastNotifyAt + MIN_NOTIFY_INTERVAL_MS - Date.now();
    if (wait > 0) {
      this.notifyTimer = setTimeout(() => {
        this.notifyTimer = undefined;
        this.sendNotify();
      }, wait);
      return;
    }
    this.sendNotify();
  }

  private sendNotify(): void {
    if (this.closed) return;
    this.notifyInFlight = true;
    this.notifyAgain = false;
    this.lastNotifyAt = Date.now();
    // A NOTIFY commits like a write; it needs no fsync of its own, so it does not wait for one.
    void this.pool
      .query(`BEGIN; SET LOCAL synchronous_commit TO OFF; NOTIFY ${CHANNEL}; COMMIT;`)
      .catch(this.onError)
      .finally(() => {
        this.notifyInFlight = false;
        if (this.notifyAgain) {
          this.notifyAgain = false;
          this.appended();
        }
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.notifyTimer);
    await this.local.close();
    await this.listener?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.connectionString, application_name: 'trading-core-log-listener' });
    client.on('notification', () => this.local.appended());
    client.on('error', (error) => {
      this.onError(error);
      // Subscribers keep polling meanwhile; listen again on the next wait.
      this.listening = undefined;
      this.listener = undefined;
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
      this.listener = client;
    } catch (error) {
      this.onError(error);
      this.listening = undefined;
      await client.end().catch(() => undefined);
    }
  }
}
