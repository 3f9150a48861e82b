import { exchangeAdmin, type ExchangeAdmin } from '../../gateways/exchange/exchange-admin-client.ts';
import { freePort, startTradingCore, type StartedProcess } from './processes.ts';

export interface SimulatorProcess {
  readonly url: string;
  readonly port: number;
  /** Its admin routes, with the token it was started with (kept across restarts). */
  readonly admin: ExchangeAdmin;
  /** The simulator's process now (a restart makes a new one). */
  readonly process: StartedProcess;
  /** Stops it with `signal` (SIGTERM: cleanly; SIGKILL: a crash) and starts it again on the same port: a new session. */
  restart(signal: NodeJS.Signals, downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** The simulated exchange as its own process (`trading-core exchange-sim`) on a free port, as tests drive it. */
export async function startSimulator(environment: Record<string, string> = {}): Promise<SimulatorProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const admin = exchangeAdmin(url);
  const start = () =>
    startTradingCore(['exchange-sim'], { EXCHANGE_PORT: String(port), EXCHANGE_TICKS_PER_SECOND: '200', UNIVERSE_SIZE: '50', LOG_LEVEL: 'warn', ...admin.environment, ...environment }, async () => (await fetch(`${url}/healthz`)).ok);
  let current = await start();
  return {
    url,
    port,
    admin,
    get process() {
      return current;
    },
    async restart(signal, downMs = 0) {
      await current.stop(signal);
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      current = await start();
    },
    async stop() {
      await current.stop();
    },
  };
}
