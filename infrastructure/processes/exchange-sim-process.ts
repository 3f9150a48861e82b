import { randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import { ExchangeSimulator } from '../exchange-sim/exchange-simulator.ts';
import { faultSettings } from '../exchange-sim/faults.ts';
import type { Logger } from '../logging/logger.ts';

/** What a simulator started as a child process tells its parent once it listens. */
interface Listening {
  readonly exchangeListening: string;
}

/** The `exchange-sim` process: the simulated exchange on EXCHANGE_HOST:EXCHANGE_PORT. */
export async function startExchangeSimulator(config: Config, logger: Logger, metrics: Registry): Promise<ExchangeSimulator> {
  const simulator = new ExchangeSimulator({
    seed: config.EXCHANGE_SEED,
    universeSize: config.UNIVERSE_SIZE,
    ticksPerSecond: config.EXCHANGE_TICKS_PER_SECOND,
    ...(config.EXCHANGE_DAY_LENGTH_MS ? { dayCloseAt: Date.now() + config.EXCHANGE_DAY_LENGTH_MS } : {}),
    faults: config.EXCHANGE_FAULTS ? faultSettings.partial().parse(JSON.parse(config.EXCHANGE_FAULTS)) : {},
    ...(config.EXCHANGE_ADMIN_TOKEN ? { adminToken: config.EXCHANGE_ADMIN_TOKEN } : {}),
    ...(config.EXCHANGE_STATE_DIR ? { stateDir: config.EXCHANGE_STATE_DIR } : {}),
    logger,
    metrics,
  });
  const url = await simulator.listen(config.EXCHANGE_HOST, config.EXCHANGE_PORT);
  logger.info({ url, session: simulator.session, seed: config.EXCHANGE_SEED, ticksPerSecond: config.EXCHANGE_TICKS_PER_SECOND, admin: config.EXCHANGE_ADMIN_TOKEN ? 'token' : 'off' }, 'exchange simulator listening');
  // A parent that started this process (the embedded mode) learns the address from here, not by
  // guessing a port someone else may hold (the channel's close also stops this process: graceful-shutdown.ts).
  process.send?.({ exchangeListening: url } satisfies Listening);
  return simulator;
}

/** A durable embedded mode (PGLITE_DATA_DIR) keeps its exchange's journal beside its database. */
function exchangeStateDir(config: Config): Record<string, string> {
  const directory = config.EXCHANGE_STATE_DIR ?? (config.PGLITE_DATA_DIR ? `${config.PGLITE_DATA_DIR}.exchange` : undefined);
  return directory ? { EXCHANGE_STATE_DIR: directory } : {};
}

/**
 * Starts the simulator as a child process of this one (the embedded mode's exchange is still a
 * separate peer) and waits until it says where it listens: on EXCHANGE_PORT (0, the embedded
 * default, picks a free port), and when that port is taken the child exits and so does the
 * start-up, rather than trading on whatever holds it. The child's admin routes take
 * EXCHANGE_ADMIN_TOKEN, or a random token nobody is told.
 */
export async function spawnExchangeSimulator(config: Config, logger: Logger): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'exchange-sim'], {
    env: {
      ...process.env,
      ...exchangeStateDir(config),
      EXCHANGE_PORT: String(config.EXCHANGE_PORT),
      EXCHANGE_HOST: config.EXCHANGE_HOST,
      EXCHANGE_ADMIN_TOKEN: config.EXCHANGE_ADMIN_TOKEN ?? randomBytes(32).toString('base64url'),
      LOG_LEVEL: process.env.EXCHANGE_LOG_LEVEL ?? 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the exchange simulator did not start listening on port ${config.EXCHANGE_PORT} within 30 s`)), 30_000);
    child.on('message', (message: Partial<Listening>) => {
      if (typeof message.exchangeListening !== 'string') return;
      clearTimeout(timer);
      resolve(message.exchangeListening);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the exchange simulator exited during start-up (code ${code}): is EXCHANGE_PORT ${config.EXCHANGE_PORT} taken by another process?`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  logger.info({ url, pid: child.pid }, 'exchange simulator started as a child process');
  return { child, url, stop };
}
