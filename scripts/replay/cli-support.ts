import { InvalidArgumentError } from 'commander';
import { parseInstant, type Instant } from '../../application/audit/instant.ts';
import { ConfigError, loadConfig, type Config } from '../../infrastructure/config/config.ts';
import { CommandRefusal } from '../../infrastructure/cli/rebuild-command.ts';

/** Exit status for a configuration error (sysexits EX_CONFIG), as `trading-core` uses. */
const EXIT_CONFIG = 78;

/** Exits with a one-line message: the tool's answer to anything the user can fix. */
export function fail(message: string, exitCode: number): never {
  process.stderr.write(`replay: ${message}\n`);
  process.exit(exitCode);
}

/** The configuration of every trading-core process, from the environment; logs stay quiet unless asked. */
export function configOrExit(): Config {
  try {
    return loadConfig(process.env, { LOG_LEVEL: 'error' });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message, EXIT_CONFIG);
    throw error;
  }
}

/** Runs a command; a refusal (bad argument, unusable store) ends the process with its exit status. */
export async function refusalsExit(work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    if (error instanceof CommandRefusal) fail(error.message, error.exitCode);
    throw error;
  }
}

export function positionArgument(value: string): bigint {
  if (!/^\d{1,19}$/.test(value)) throw new InvalidArgumentError('a position is a whole number');
  return BigInt(value);
}

export function timeArgument(value: string): Date {
  const instant = parseInstant(value);
  if (!instant || !('time' in instant)) throw new InvalidArgumentError('an ISO-8601 time with a zone, e.g. 2026-01-31T12:00:00.000Z');
  return instant.time;
}

export function instantArgument(value: string): Instant {
  const instant = parseInstant(value);
  if (!instant) throw new InvalidArgumentError('an ISO-8601 time with a zone (2026-01-31T12:00:00.000Z) or a position (digits)');
  return instant;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function accountArgument(value: string): string {
  if (!UUID.test(value)) throw new InvalidArgumentError('an account id is a UUID');
  return value.toLowerCase();
}

export function listArgument(value: string): string[] {
  const items = value.split(',').map((item) => item.trim()).filter(Boolean);
  if (items.length === 0) throw new InvalidArgumentError('name at least one');
  return items;
}

/** Whole cents as dollars: 123456 → "1,234.56". */
export function dollars(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100).toLocaleString('en-US')}.${String(abs % 100).padStart(2, '0')}`;
}
