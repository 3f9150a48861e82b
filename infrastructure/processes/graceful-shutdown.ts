import type { Logger } from '../logging/logger.ts';

/**
 * On SIGTERM or SIGINT: runs `stop` (stop taking work, finish what is in flight, release
 * resources) and exits 0; exits 1 when it takes longer than `graceMs` or fails.
 */
export function exitGracefullyOnSignals(logger: Logger, graceMs: number, stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ graceMs }, 'shutdown took longer than the grace period; exiting');
      process.exit(1);
    }, graceMs);
    deadline.unref();
    stop().then(
      () => {
        logger.info('shut down cleanly');
        logger.flush();
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  // A child with a channel to its parent (the embedded mode's exchange) goes when the parent
  // does, even one killed with SIGKILL, instead of living on as an orphan on its port.
  if (process.send) process.once('disconnect', () => onSignal('SIGTERM'));
}
