import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlpacaStreamTestClient } from '../support/alpaca-stream-test-client.ts';
import { bearer, tokenFor } from '../support/trading-app.ts';
import { pause, StreamsFixture, type ApiKeyPair } from './streams-fixture.ts';

/** Alpaca's trading stream (`/stream`) on a real fan-out: keys from PostgreSQL, order events from the projector through Redis. */
describe('the Alpaca trading stream', () => {
  let fixture: StreamsFixture;
  const account = randomUUID();
  let key: ApiKeyPair;

  beforeAll(async () => {
    fixture = await StreamsFixture.start('tradestream', { authTimeoutMs: 600, messagesPerSecond: 20 });
    key = await fixture.apiKey(account);
    const deposit = await fixture.trading.app.inject({ method: 'POST', url: '/v1/account/deposits', headers: bearer(account), payload: { amountCents: 1_000_000, idempotencyKey: 'fund' } });
    expect(deposit.statusCode).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await fixture?.stop();
  });

  const authenticate = (client: AlpacaStreamTestClient, pair: ApiKeyPair = key) => client.send({ action: 'authenticate', data: { key_id: pair.keyId, secret_key: pair.secret } });

  it('authorizes a key pair, listens to trade_updates only, and sends each order event of the account with the order in Alpaca’s shape', async () => {
    const client = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    // Binary frames carry the same JSON (real Alpaca clients send either).
    client.send(Buffer.from(JSON.stringify({ action: 'authenticate', data: { key_id: key.keyId, secret_key: key.secret } })));
    client.send({ action: 'listen', data: { streams: ['trade_updates', 'account_updates'] } });
    await client.waitFor((c) => c.of('listening').length > 0, 5_000, 'the listening acknowledgement');
    expect(client.messages.slice(0, 2)).toEqual([
      { stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } },
      { stream: 'listening', data: { streams: ['trade_updates'] } },
    ]);
    await pause(200); // the fan-out's Redis subscription for the account

    const placed = await fixture.trading.app.inject({ method: 'POST', url: '/v2/orders', headers: { 'apca-api-key-id': key.keyId, 'apca-api-secret-key': key.secret }, payload: { symbol: 'AAPL', qty: '3', side: 'buy', type: 'limit', limit_price: '100.5', time_in_force: 'gtc', client_order_id: 'stream-1' } });
    expect(placed.statusCode, placed.body).toBe(200);
    const orderId = placed.json().id as string;
    // Never routed (no worker here): a cancel ends it at once.
    const canceled = await fixture.trading.app.inject({ method: 'DELETE', url: `/v2/orders/${orderId}`, headers: { 'apca-api-key-id': key.keyId, 'apca-api-secret-key': key.secret } });
    expect(canceled.statusCode).toBe(204);

    await client.waitFor((c) => c.of('trade_updates').length >= 2, 10_000, 'two trade updates');
    const updates = client.of('trade_updates').map((message) => message.data as { event: string; timestamp: string; order: Record<string, unknown> });
    expect(updates.map((update) => update.event)).toEqual(['pending_new', 'canceled']);
    expect(updates[0]!.order).toMatchObject({ id: orderId, client_order_id: 'stream-1', symbol: 'AAPL', qty: '3', limit_price: '100.5', status: 'pending_new', filled_qty: '0', side: 'buy', type: 'limit', time_in_force: 'gtc' });
    expect(updates[1]!.order).toMatchObject({ id: orderId, status: 'canceled', canceled_at: expect.any(String) });
    expect(Date.parse(updates[1]!.timestamp)).toBeGreaterThanOrEqual(Date.parse(updates[0]!.timestamp));
    for (const message of client.messages) expect(typeof message.data).toBe('object');

    // An empty list stops the stream; the account's Redis channel goes once nobody listens.
    client.send({ action: 'listen', data: { streams: [] } });
    await client.waitFor((c) => c.of('listening').length === 2, 5_000, 'the second acknowledgement');
    expect(client.of('listening')[1]).toEqual({ stream: 'listening', data: { streams: [] } });
    await pause(200);
    expect(fixture.orderChannels).toBe(0);
    await client.close();
  }, 30_000);

  it('takes our bearer token as oauth_token, and sends another account nothing', async () => {
    const other = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    other.send({ action: 'authenticate', data: { oauth_token: tokenFor(randomUUID()) } });
    other.send({ action: 'listen', data: { streams: ['trade_updates'] } });
    await other.waitFor((c) => c.of('listening').length > 0, 5_000, 'listening');
    expect(other.messages[0]).toEqual({ stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } });
    await pause(200);
    const placed = await fixture.trading.app.inject({ method: 'POST', url: '/v1/orders', headers: bearer(account), payload: { clientOrderId: 'not-yours', symbol: 'MSFT', side: 'buy', type: 'limit', qty: 1, limitPriceCents: 10_000 } });
    expect(placed.statusCode, placed.body).toBe(201);
    await pause(600);
    expect(other.of('trade_updates')).toEqual([]);
    await other.close();
  });

  it('refuses a wrong secret with unauthorized and closes; a listen before authenticating is unauthorized too', async () => {
    const early = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    early.send({ action: 'listen', data: { streams: ['trade_updates'] } });
    await early.waitFor((c) => c.messages.length > 0, 3_000, 'the answer');
    expect(early.messages[0]).toEqual({ stream: 'authorization', data: { status: 'unauthorized', action: 'listen' } });
    await early.close();

    const wrong = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    authenticate(wrong, { keyId: key.keyId, secret: 'x'.repeat(43) });
    await wrong.waitFor((c) => c.closed !== undefined, 5_000, 'the close');
    expect(wrong.messages).toEqual([{ stream: 'authorization', data: { status: 'unauthorized', action: 'authenticate' } }]);
    expect(wrong.closed?.code).toBe(4001);
  });

  it('closes a connection that does not authenticate in time, after saying why', async () => {
    const silent = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    await silent.waitFor((c) => c.closed !== undefined, 3_000, 'the close');
    expect(silent.closed?.code).toBe(4001);
    expect(silent.messages).toEqual([{ action: 'error', data: { error: 'auth timeout', error_message: 'auth timeout' } }]);
  });

  it('answers garbage with error frames and keeps serving; a flood is told once, then closed', async () => {
    const client = await AlpacaStreamTestClient.connect(fixture.url('/stream'));
    client.send('{"action": "authenticate", ');
    client.send(Buffer.from([0xff, 0x00, 0x13]));
    client.send({ action: 'launch' });
    client.send({ action: 'listen', data: { streams: 'trade_updates' } });
    client.send([1, 2, 3]);
    authenticate(client);
    await client.waitFor((c) => c.of('authorization').length > 0, 5_000, 'the authorization');
    const errors = client.messages.filter((message) => message.action === 'error');
    expect(errors).toHaveLength(5);
    for (const error of errors) expect((error.data as { error_message: string }).error_message).toMatch(/^invalid (syntax|message)/);
    expect(client.of('authorization')[0]).toEqual({ stream: 'authorization', data: { status: 'authorized', action: 'authenticate' } });
    for (let i = 0; i < 200 && !client.closed; i += 1) client.send({ action: 'listen', data: { streams: [] } });
    await client.waitFor((c) => c.closed !== undefined, 5_000, 'the close of the flood');
    expect(client.closed?.code).toBe(4029);
    expect(client.messages.filter((message) => message.action === 'error' && String((message.data as { error: string }).error).startsWith('more than'))).toHaveLength(1);
  });

  it('closes a connection whose frame is over 16 KiB with 1009, on the trading and the stock data stream', async () => {
    for (const path of ['/stream', '/v2/iex']) {
      const client = await AlpacaStreamTestClient.connect(fixture.url(path));
      client.send({ action: 'auth', key: 'x'.repeat(17 * 1024), secret: 'y' });
      await client.waitFor((c) => c.closed !== undefined, 3_000, `the close on ${path}`);
      expect(client.closed?.code, path).toBe(1009);
    }
  });
});
