#!/usr/bin/env node
/**
 * The audit and replay tool: `npm run replay -- <command>` (see `--help` of each command).
 * It works against the configured store, configured like every trading-core process:
 * EVENT_STORE (postgres by default), DATABASE_URL, and DATABASE_ADMIN_URL for `rebuild` and
 * `verify`, which create tables as their owner.
 */
import { Argument, Command, Option } from 'commander';
import type { Instant } from '../../application/audit/instant.ts';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { compose } from '../../infrastructure/composition/container.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import { rebuildCommand } from '../../infrastructure/cli/rebuild-command.ts';
import { registerAuditCommands } from './audit-commands.ts';
import { accountArgument, configOrExit, instantArgument, listArgument, positionArgument, refusalsExit, timeArgument } from './cli-support.ts';
import { replayCommand, type ReplayOptions } from './replay-events-command.ts';
import { stateCommand } from './state-command.ts';
import { verifyCommand } from './verify-command.ts';

const projectionChoices = [...ALL_PROJECTIONS.map((projection) => projection.name), 'all'];

const program = new Command()
  .name('replay')
  .description(
    'Audit tools over the event log: replay events, rebuild or verify read models, and an account as it stood at a past moment.\n' +
      'Configured from the environment like the other processes: EVENT_STORE (postgres), DATABASE_URL, DATABASE_ADMIN_URL.',
  )
  .showHelpAfterError();

program
  .command('replay')
  .description('print events, oldest first: one stream, one category or the whole log, within bounds, of some types')
  .addOption(new Option('--stream <id>', 'one stream, e.g. account-<uuid> or order-<uuid>').conflicts('category'))
  .addOption(new Option('--category <name>', 'every stream whose id starts with <name>- (account, order, exchange)'))
  .option('--from-position <position>', 'first global position (inclusive)', positionArgument)
  .option('--to-position <position>', 'last global position (inclusive)', positionArgument)
  .option('--from <time>', 'recorded at or after this ISO-8601 time', timeArgument)
  .option('--to <time>', 'recorded at or before this ISO-8601 time', timeArgument)
  .option('--type <types>', 'only these event types, comma-separated (e.g. OrderPlaced,OrderCanceled)', listArgument)
  .option('--jsonl [file]', 'JSON Lines instead of text (position and revision as strings), to stdout or to <file>')
  .option('--no-progress', 'no progress bar (shown on stderr when the output is not the terminal)')
  .addHelpText(
    'after',
    '\nExamples:\n  npm run replay -- replay --stream account-<uuid>\n  npm run replay -- replay --category order --type OrderPlaced --from 2026-01-31T00:00:00Z\n  npm run replay -- replay --from-position 0 --jsonl log.jsonl',
  )
  .action((options: ReplayOptions) => refusalsExit(() => replayCommand(configOrExit(), options)));

program
  .command('rebuild')
  .description('rebuild a read model from position 0 into a fresh table and swap it in while queries keep answering (needs DATABASE_ADMIN_URL)')
  .addArgument(new Argument('<projection>', 'the read model').choices(projectionChoices))
  .option('--keep', 'leave the rebuilt table beside the live one (<table>__rebuild) instead of swapping')
  .action((name: string, options: { keep?: boolean }) => refusalsExit(() => rebuildCommand(configOrExit(), name, options)));

program
  .command('verify')
  .description(
    'rebuild every read model into a shadow table up to the position the live one stands at, compare every row and column, drop the shadows; exit 1 when one differs',
  )
  .addOption(new Option('--projection <name>', 'only this read model').choices(projectionChoices).default('all'))
  .option('--examples <n>', 'differing rows to print per read model', (value) => Math.max(1, Number.parseInt(value, 10) || 5), 5)
  .action((options: { projection: string; examples: number }) =>
    refusalsExit(async () => {
      process.exitCode = await verifyCommand(configOrExit(), options);
    }),
  );

program
  .command('state')
  .description('an account\'s cash, reservations, buying power, positions and open orders as they stood at a time or position, rebuilt from events')
  .requiredOption('--account <uuid>', 'the account', accountArgument)
  .requiredOption('--at <time|position>', 'an ISO-8601 time (by the event store\'s clock) or a global position', instantArgument)
  .option('--json', 'the audit API\'s JSON instead of text')
  .action((options: { account: string; at: Instant; json?: boolean }) => refusalsExit(() => stateCommand(configOrExit(), options)));

// The hash chain's check and the order-lifecycle export.
registerAuditCommands(program, async () => {
  const composition = await compose(configOrExit(), 'replay');
  return { store: composition.container.resolve<EventStore>(TOKENS.EventStore), close: () => composition.close() };
});

program.parseAsync(process.argv).catch((error: unknown) => {
  process.stderr.write(`replay: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
