import { accountStateJson } from '../../application/audit/audit-json.ts';
import { auditQueries } from '../../application/audit/audit-queries.ts';
import { describeInstant, type Instant } from '../../application/audit/instant.ts';
import type { AccountStateAt } from '../../application/audit/point-in-time.ts';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { CommandRefusal } from '../../infrastructure/cli/rebuild-command.ts';
import type { Config } from '../../infrastructure/config/config.ts';
import { SqlAccountOrderIndex } from '../../infrastructure/audit/sql-account-order-index.ts';
import { SqlAccountSnapshotStore } from '../../infrastructure/audit/sql-account-snapshot-store.ts';
import { compose } from '../../infrastructure/composition/container.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';
import type { SqlClient } from '../../infrastructure/persistence/sql-client.ts';
import { dollars } from './cli-support.ts';

export function describeState(state: AccountStateAt): string {
  const { account, asOf, rebuiltFrom } = state;
  const lines = [
    `account ${state.accountId} as of position ${asOf.position}${asOf.time ? ` and time ${asOf.time.toISOString()}` : ''}`,
    `  cash ${dollars(account.cashCents)}  reserved ${dollars(account.reservedCents)}  buying power ${dollars(account.buyingPowerCents)}  version ${account.version}`,
    `positions (${state.positions.length})`,
    ...state.positions.map(
      (p) => `  ${p.symbol.padEnd(8)} qty ${p.qty}  reserved ${p.reservedQty}  avg cost ${dollars(p.avgCostCents)}  cost basis ${dollars(p.costBasisCents)}`,
    ),
    `open orders (${state.openOrders.length})`,
    ...state.openOrders.map(
      (o) =>
        `  ${o.id}  ${o.clientOrderId}  ${o.side} ${o.type} ${o.qty} ${o.symbol}${o.limitPriceCents === null ? '' : ` @ ${dollars(o.limitPriceCents)}`} ${o.timeInForce}  ${o.status}  filled ${o.filledQty}  placed ${o.createdAt}`,
    ),
    `rebuilt from ${rebuiltFrom.snapshotRevision === null ? 'the first event' : `the snapshot at revision ${rebuiltFrom.snapshotRevision}`} + ${rebuiltFrom.accountEvents} account events, ${rebuiltFrom.orderStreams} order streams read`,
  ];
  return `${lines.join('\n')}\n`;
}

/**
 * `state`: an account's ledger, positions and open orders as they stood at a time or position,
 * rebuilt from events by the same service the audit API uses. Read-only: missing snapshots are
 * not written from here.
 */
export async function stateCommand(config: Config, options: { account: string; at: Instant; json?: boolean }): Promise<void> {
  const composition = await compose(config, 'replay');
  try {
    const { container } = composition;
    const db = container.resolve<SqlClient>(TOKENS.ReadModelDb);
    const audit = auditQueries({
      store: container.resolve<EventStore>(TOKENS.EventStore),
      orderIndex: new SqlAccountOrderIndex(db),
      snapshots: new SqlAccountSnapshotStore(db),
      snapshotEvery: config.ACCOUNT_SNAPSHOT_EVERY,
    });
    const state = await audit.accountStateAt(options.account, options.at);
    if (!state) throw new CommandRefusal(`account ${options.account} has no events (asked at ${describeInstant(options.at)})`, 1);
    process.stdout.write(options.json ? `${JSON.stringify(accountStateJson(state), null, 2)}\n` : describeState(state));
  } finally {
    await composition.close();
  }
}
