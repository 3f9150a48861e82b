import { spawn, type ChildProcess } from 'node:child_process';
import type { Registry } from 'prom-client';
import type { Config } from '../config/config.ts';
import { ExchangeSimulator } from '../exchange-sim/exchange-simulator.ts';
import { faultSettings } from '../exchange-sim/faults.ts';
import type { Logger } from '../logging/logger.ts';

/** The `exchange-sim` process: the simulated exchange on HOST:EXCHANGE_PORT. */
export async function startExchangeSimulator(config: Config, logger: Logger, metrics: Registry): Promise<ExchangeSimulator> {
  const simulator = new ExchangeSimulator({
    seed: config.EXCHANGE_SEED,
    universeSize: config.UNIVERSE_SIZE,
    ticksPerSecond: config.EXCHANGE_TICKS_PER_SECOND,
    ...(config.EXCHANGE_DAY_LENGTH_MS ? { dayCloseAt: Date.now() + config.EXCHANGE_DAY_LENGTH_MS } : {}),
    faults: config.EXCHANGE_FAULTS ? faultSettings.partial().parse(JSON.parse(config.EXCHANGE_FAULTS)) : {},
    ...(config.EXCHANGE_STATE_DIR ? { stateDir: config.EXCHANGE_STATE_DIR } : {}),
    logger,
    metrics,
  });
  const url = await simulator.listen(config.HOST, config.EXCHANGE_PORT);
  logger.info({ url, session: simulator.session, seed: config.EXCHANGE_SEED, ticksPerSecond: config.EXCHANGE_TICKS_PER_SECOND }, 'exchange simulator listening');
  return simulator;
}

/** A durable embedded mode (PGLITE_DATA_DIR) keeps its exchange's journal beside its database. */
function exchangeStateDir(config: Config): Record<string, string> {
  const directory = config.EXCHANGE_STATE_DIR ?? (config.PGLITE_DATA_DIR ? `${config.PGLITE_DATA_DIR}.exchange` : undefined);
  return directory ? { EXCHANGE_STATE_DIR: directory } : {};
}

/**
 * Starts the simulator as a child process of this one (the embedded mode's exchange is still a
 * separate peer), waits until it answers, and gives a way to stop it.
 */
export async function spawnExchangeSimulator(config: Config, logger: Logger): Promise<{ child: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...process.execArgv, process.argv[1]!, 'exchange-sim'], {
    env: { ...process.env, ...exchangeStateDir(config), EXCHANGE_PORT: String(config.EXCHANGE_PORT), LOG_LEVEL: process.env.EXCHANGE_LOG_LEVEL ?? 'warn' },
    // The channel is the child's lifeline: it closes when this process dies, however it dies.
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the exchange simulator exited during start-up (code ${child.exitCode})`);
    const up = await fetch(`${config.EXCHANGE_URL}/healthz`).then((response) => response.ok, () => false);
    if (up) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the exchange simulator did not answer on ${config.EXCHANGE_URL} within 30 s`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  logger.info({ url: config.EXCHANGE_URL, pid: child.pid }, 'exchange simulator started as a child process');
  return {
    child,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
