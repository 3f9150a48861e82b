import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { referenceUniverse } from '../../infrastructure/market/reference-universe.ts';
import { LoadProcess } from './load-process.ts';
import type { LocalStack } from './local-stack.ts';
import type { OrdersLoadCommand, OrdersLoadEvent } from './orders-load.ts';

/** The simulator’s hottest symbols: the named ones, then the generated universe in its order. */
function tradedSymbols(count: number): Array<{ symbol: string; referencePriceCents: number }> {
  const universe = referenceUniverse({ seed: Number(process.env.UNIVERSE_SEED ?? 42), generated: 5_000 });
  const generated = (entry: { name: string }) => entry.name.endsWith('(simulated)');
  return [...universe.filter((entry) => !generated(entry)), ...universe.filter(generated)].slice(0, count);
}

async function fundAccounts(stack: LocalStack, accounts: readonly string[]): Promise<void> {
  const pool = new Pool(stack.apiUrl, { connections: 16 });
  try {
    for (let start = 0; start < accounts.length; start += 16) {
      await Promise.all(
        accounts.slice(start, start + 16).map(async (accountId) => {
          const response = await pool.request({
            method: 'POST',
            path: '/v1/account/deposits',
            headers: { authorization: `Bearer ${stack.token(accountId, 'admin')}`, 'content-type': 'application/json' },
            body: JSON.stringify({ amountCents: 1_000_000_000, idempotencyKey: 'bench-funding' }),
          });
          const body = await response.body.text();
          if (response.statusCode !== 201) throw new Error(`funding ${accountId} answered ${response.statusCode}: ${body}`);
        }),
      );
    }
  } finally {
    await pool.close();
  }
}

export interface OrderFlowSettings {
  readonly accounts: number;
  readonly symbols: number;
  readonly marketShare: number;
  readonly connections: number;
}

/** Funded accounts and the order load process set up against the stack's API, ready to run phases. */
export async function startOrderFlow(stack: LocalStack, settings: OrderFlowSettings): Promise<LoadProcess<OrdersLoadCommand, OrdersLoadEvent>> {
  const accounts = Array.from({ length: settings.accounts }, () => randomUUID());
  await fundAccounts(stack, accounts);
  const load = new LoadProcess<OrdersLoadCommand, OrdersLoadEvent>('scripts/bench/orders-load.ts', []);
  load.command({
    type: 'setup',
    setup: {
      apiUrl: stack.apiUrl,
      databaseUrl: stack.appUrl,
      tokens: accounts.map((accountId) => stack.token(accountId)),
      symbols: tradedSymbols(settings.symbols),
      marketShare: settings.marketShare,
      connections: settings.connections,
    },
  });
  try {
    await load.next('ready', 30_000);
  } catch (error) {
    load.kill();
    throw error;
  }
  return load;
}
