import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { authenticateApiKey, type ApiKeyDirectory, type ApiKeyEntry } from '../../application/api-keys/api-keys.ts';
import type { Tick } from '../../application/market/market-data.ts';
import { apiKeySecrets } from '../../infrastructure/api-keys/api-key-adapters.ts';
import { InProcessOrderUpdates, InProcessTickLog } from '../../infrastructure/market-data/in-process-market-data.ts';
import { ReferenceMarket, referenceUniverse } from '../../infrastructure/market/reference-universe.ts';
import { createMetricsRegistry } from '../../infrastructure/observability/metrics.ts';
import { startFanout } from '../../infrastructure/processes/fanout-process.ts';
import { AlpacaStreamTestClient } from '../support/alpaca-stream-test-client.ts';
import { TEST_JWT_SECRET } from '../support/trading-app.ts';

const universe = referenceUniverse({ seed: 42, generated: 200 });

/** The `api_keys` read model as a map: the embedded path's tick log needs no database for this. */
function keyDirectory(entries: readonly ApiKeyEntry[]): ApiKeyDirectory {
  return { find: async (keyId) => entries.find((entry) => entry.keyId === keyId), list: async (accountId) => entries.filter((entry) => entry.accountId === accountId) };
}

describe('the Alpaca stock data stream with a slow client', () => {
  it.each([
    ['JSON', false],
    ['MessagePack', true],
  ])('in %s: a client that stops reading gets 407 slow client and is closed with 4008, the others keep their pace', async (_encoding, msgpack) => {
    const tickLog = new InProcessTickLog();
    const secret = apiKeySecrets.newSecret();
    const entry: ApiKeyEntry = { keyId: 'PKSLOWCLIENT000000000', accountId: randomUUID(), secretHash: apiKeySecrets.hash(secret), label: null, createdAt: new Date().toISOString(), revokedAt: null };
    const metrics = createMetricsRegistry('fanout-slow');
    const fanout = await startFanout(
      { host: '127.0.0.1', port: 0, transport: 'uws', limits: { windowMs: 10, slowBufferedBytes: 32 * 1024, maxBufferedBytes: 512 * 1024, maxBehindMs: 1_500, maxSymbolsPerConnection: 200 } },
      { stream: tickLog, catalog: new ReferenceMarket(universe), orderUpdates: new InProcessOrderUpdates(), jwtSecret: TEST_JWT_SECRET, apiKeys: authenticateApiKey({ directory: keyDirectory([entry]), secrets: apiKeySecrets }), logger: pino({ level: 'silent' }), metrics },
    );
    const symbols = universe.slice(0, 200).map((listed) => listed.symbol);
    let seq = 0;
    const timer = setInterval(() => {
      seq += 1;
      const ts = new Date().toISOString();
      void tickLog.publish(symbols.map((symbol, i): Tick => ({ symbol, seq, priceCents: 10_000 + ((seq * 7 + i) % 500), bidCents: 9_990, askCents: 10_010, volume: seq * 100, ts, openCents: 10_000 })));
    }, 10);
    try {
      const url = `ws://127.0.0.1:${fanout.port}/v2/iex`;
      const subscribe = async (list: readonly string[]) => {
        const client = await AlpacaStreamTestClient.connect(url, { msgpack });
        client.send({ action: 'auth', key: entry.keyId, secret });
        client.send({ action: 'subscribe', quotes: list, trades: list });
        await client.waitFor((c) => c.of('subscription').length > 0, 5_000, 'the subscription');
        return client;
      };
      const reader = await subscribe(symbols.slice(0, 5));
      const slow = await subscribe(symbols);
      await slow.waitFor((c) => c.of('q').length > 1_000, 5_000, 'the slow client to start receiving');
      slow.pauseReading();
      const gauge = async () => (await metrics.getSingleMetric('fanout_alpaca_data_connections')!.get()).values[0]?.value;
      const deadline = Date.now() + 20_000;
      while ((await gauge()) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(await gauge()).toBe(1);
      slow.resumeReading();
      await slow.waitFor((c) => c.closed !== undefined, 10_000, 'the slow client to see its close');
      expect(slow.closed?.code).toBe(4008);
      expect(slow.frames.at(-1)).toEqual([{ T: 'error', code: 407, msg: 'slow client' }]);

      const before = reader.of('q').length;
      await reader.waitFor((c) => c.of('q').length > before + 20, 3_000, 'quotes after the slow client left');
      expect(reader.closed).toBeUndefined();
      await reader.close();
    } finally {
      clearInterval(timer);
      await fanout.stop();
    }
  }, 45_000);
});
