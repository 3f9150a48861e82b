import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tick } from '../../application/market/market-data.ts';
import { AlpacaStreamTestClient, type AlpacaMessage } from '../support/alpaca-stream-test-client.ts';
import { pause, StreamsFixture, type ApiKeyPair } from './streams-fixture.ts';

const EMPTY = { trades: [], quotes: [], bars: [], updatedBars: [], dailyBars: [], statuses: [], lulds: [], corrections: [], cancelErrors: [] };
const MINUTE = 60_000;

/** Alpaca's stock data stream (`/v2/{feed}`) on a real fan-out, ticks through Kafka, keys from PostgreSQL; in both encodings. */
describe('the Alpaca stock data stream', () => {
  let fixture: StreamsFixture;
  let key: ApiKeyPair;
  let seq = 1_000;
  const tick = (symbol: string, priceCents: number, volume: number, ts = new Date().toISOString()): Tick => ({ symbol, seq: ++seq, priceCents, bidCents: priceCents - 5, askCents: priceCents + 5, volume, ts, openCents: 10_000 });

  beforeAll(async () => {
    fixture = await StreamsFixture.start('datastream', { authTimeoutMs: 800, maxSymbolsPerConnection: 6, messagesPerSecond: 50 });
    key = await fixture.apiKey(randomUUID());
  }, 60_000);
  afterAll(async () => {
    await fixture?.stop();
  });

  describe.each([
    ['JSON', false],
    ['MessagePack', true],
  ])('in %s', (_encoding, msgpack) => {
    const connect = async (feed = 'iex') => {
      const client = await AlpacaStreamTestClient.connect(fixture.url(`/v2/${feed}`), { msgpack });
      await client.waitFor((c) => c.messages.length > 0, 3_000, 'the connected message');
      expect(client.frames[0]).toEqual([{ T: 'success', msg: 'connected' }]);
      return client;
    };
    const authenticated = async (feed = 'iex') => {
      const client = await connect(feed);
      client.send({ action: 'auth', key: key.keyId, secret: key.secret });
      await client.waitFor((c) => c.messages.length > 1, 3_000, 'the authentication');
      expect(client.frames[1]).toEqual([{ T: 'success', msg: 'authenticated' }]);
      return client;
    };
    const timestamp = (iso: string) => (msgpack ? new Date(iso) : iso);
    const lastSubscription = (client: AlpacaStreamTestClient) => client.of('subscription').at(-1);

    it('says not authenticated before auth, refuses a wrong secret with 402 and closes', async () => {
      const client = await connect('sip');
      client.send({ action: 'subscribe', quotes: ['AAPL'] });
      client.send({ action: 'auth', key: key.keyId, secret: 'wrong' });
      await client.waitFor((c) => c.closed !== undefined, 5_000, 'the close');
      expect(client.frames.slice(1)).toEqual([[{ T: 'error', code: 401, msg: 'not authenticated' }], [{ T: 'error', code: 402, msg: 'auth failed' }]]);
    });

    it('answers a second auth with 403, and every subscription with the whole cumulative set, idempotently', async () => {
      const client = await authenticated('delayed_sip');
      client.send({ action: 'auth', key: key.keyId, secret: key.secret });
      client.send({ action: 'subscribe', quotes: ['AAPL'], trades: ['AAPL', 'MSFT'] });
      // The 4.x SDK subscribes, then sends everything again once authenticated.
      client.send({ action: 'subscribe', quotes: ['AAPL'], trades: ['AAPL', 'MSFT'], lulds: ['AAPL'] });
      client.send({ action: 'unsubscribe', trades: ['MSFT'], bars: ['TSLA'] });
      await client.waitFor((c) => c.of('subscription').length === 3, 5_000, 'three subscription answers');
      expect(client.errors()).toEqual([403]);
      expect(client.of('subscription')).toEqual([
        { T: 'subscription', ...EMPTY, quotes: ['AAPL'], trades: ['AAPL', 'MSFT'] },
        { T: 'subscription', ...EMPTY, quotes: ['AAPL'], trades: ['AAPL', 'MSFT'], lulds: ['AAPL'] },
        { T: 'subscription', ...EMPTY, quotes: ['AAPL'], trades: ['AAPL'], lulds: ['AAPL'] },
      ]);
      for (const frame of client.frames) if (frame.some((message) => message.T !== 'q' && message.T !== 't' && message.T !== 'b')) expect(frame).toHaveLength(1);
      await client.close();
    });

    it('refuses "*" and a subscription past the symbol limit with 405, applying none of it', async () => {
      const client = await authenticated();
      client.send({ action: 'subscribe', quotes: ['AAPL', 'MSFT'] });
      client.send({ action: 'subscribe', trades: ['*'] });
      client.send({ action: 'subscribe', bars: ['TSLA', 'NVDA', 'SPY', 'META', 'AMZN'] });
      client.send({ action: 'subscribe', bars: ['TSLA'] });
      await client.waitFor((c) => c.of('subscription').length === 2, 5_000, 'the subscriptions');
      expect(client.errors()).toEqual([405, 405]);
      expect(lastSubscription(client)).toEqual({ T: 'subscription', ...EMPTY, quotes: ['AAPL', 'MSFT'], bars: ['TSLA'] });
      await client.close();
    });

    it('sends quotes and trades from the conflated ticks, several messages to a frame, prices in dollars', async () => {
      const client = await authenticated('test');
      client.send({ action: 'subscribe', quotes: ['AAPL', 'MSFT'], trades: ['AAPL'] });
      await client.waitFor((c) => c.of('subscription').length === 1, 5_000, 'the subscription');
      const ticks = Array.from({ length: 20 }, (_, i) => tick(i % 2 ? 'MSFT' : 'AAPL', 15_000 + i, 1_000 + i));
      await fixture.publishTicks(ticks);
      const newestAapl = ticks.filter((t) => t.symbol === 'AAPL').at(-1)!;
      await client.waitFor((c) => c.of('t').some((trade) => trade.i === newestAapl.seq) && c.of('q').some((quote) => quote.S === 'MSFT'), 10_000, 'the newest AAPL trade and an MSFT quote');

      expect(client.of('q').length).toBeLessThan(ticks.length);
      expect(client.of('t').every((trade) => trade.S === 'AAPL')).toBe(true);
      const trades = client.of('t').map((trade) => trade.i as number);
      expect(trades).toEqual([...trades].sort((a, b) => a - b));
      const lastQuote = client.of('q').filter((quote) => quote.S === 'AAPL').at(-1)!;
      expect(lastQuote).toEqual({ T: 'q', S: 'AAPL', ap: (newestAapl.askCents / 100), as: 0, ax: 'Q', bp: newestAapl.bidCents / 100, bs: 0, bx: 'Q', c: ['R'], t: timestamp(newestAapl.ts), z: 'C' });
      expect(client.of('t').at(-1)).toEqual({ T: 't', S: 'AAPL', c: ['@'], i: newestAapl.seq, p: newestAapl.priceCents / 100, s: 0, t: timestamp(newestAapl.ts), x: 'Q', z: 'C' });
      expect(client.frames.some((frame) => frame.length >= 2 && frame.every((message: AlpacaMessage) => message.T === 'q' || message.T === 't'))).toBe(true);
      await client.close();
    });

    it('sends a minute bar folded from every tick once a later minute begins', async () => {
      const client = await authenticated();
      const symbol = msgpack ? 'NVDA' : 'SPY';
      client.send({ action: 'subscribe', bars: [symbol] });
      await client.waitFor((c) => c.of('subscription').length === 1, 5_000, 'the subscription');
      await pause(300);
      // A minute that begins after the subscription: this instance sees it whole.
      const minute = Math.ceil(Date.now() / MINUTE) * MINUTE + MINUTE;
      const at = (offsetMs: number) => new Date(minute + offsetMs).toISOString();
      await fixture.publishTicks([tick(symbol, 10_000, 1_000, at(1_000)), tick(symbol, 10_500, 1_100, at(2_000)), tick(symbol, 9_500, 1_300, at(30_000)), tick(symbol, 10_100, 1_400, at(59_000))]);
      await fixture.publishTicks([tick(symbol, 10_200, 1_500, at(MINUTE + 1_000))]);
      await client.waitFor((c) => c.of('b').length > 0, 10_000, 'the bar');
      expect(client.of('b')).toEqual([{ T: 'b', S: symbol, t: timestamp(new Date(minute).toISOString()), o: 100, h: 105, l: 95, c: 101, v: 400 }]);
      await client.close();
    });

    it('answers garbage with 400 and keeps serving; an unknown feed is 404 at the upgrade', async () => {
      const client = await authenticated();
      client.send('{"action": "subscribe",');
      client.send(Buffer.from([0xc1, 0xff, 0x00]));
      client.send({ action: 'subscribe', trades: 'AAPL' });
      client.send({ action: 'launch' });
      client.send({ action: 'subscribe', trades: ['AAPL'] });
      await client.waitFor((c) => c.of('subscription').length === 1, 5_000, 'the subscription after the garbage');
      expect(client.errors()).toEqual([400, 400, 400, 400]);
      expect(client.closed).toBeUndefined();
      await client.close();
      await expect(AlpacaStreamTestClient.connect(fixture.url('/v2/nasdaq'), { msgpack })).rejects.toThrow(/404/);
    });

    it('sends 404 auth timeout and closes a connection that does not authenticate in time', async () => {
      const client = await connect();
      await client.waitFor((c) => c.closed !== undefined, 3_000, 'the close');
      expect(client.frames.slice(1)).toEqual([[{ T: 'error', code: 404, msg: 'auth timeout' }]]);
    });
  });
});
