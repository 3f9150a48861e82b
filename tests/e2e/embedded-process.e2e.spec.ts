import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.ts';
import { PriceStreamClient } from 'trading-core/sdk';

function startCli(args: string[], environment: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn('bin/trading-core', args, { env: { ...process.env, TRADING_CORE_FROM_SOURCE: '1', ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

/** Reads server-sent events from a streaming response until `enough` says so. */
async function readEvents(response: Response, enough: (events: Array<{ event: string; id?: string; data: string }>) => boolean): Promise<Array<{ event: string; id?: string; data: string }>> {
  const events: Array<{ event: string; id?: string; data: string }> = [];
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  while (!enough(events)) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const fields = Object.fromEntries(block.split('\n').filter((line) => !line.startsWith(':')).map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]));
      if (fields.event) events.push({ event: fields.event, data: fields.data ?? '', ...(fields.id ? { id: fields.id } : {}) });
    }
  }
  await reader.cancel();
  return events;
}

describe('the embedded mode, started as a user starts it', () => {
  let port: number;
  let streamPort: number;
  let running: ReturnType<typeof startCli>;

  beforeAll(async () => {
    port = await freePort();
    streamPort = await freePort();
    const exchangePort = await freePort();
    running = startCli(['embedded'], { API_PORT: String(port), STREAM_PORT: String(streamPort), EXCHANGE_PORT: String(exchangePort), EXCHANGE_URL: `http://127.0.0.1:${exchangePort}`, LOG_LEVEL: 'info' });
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline) {
      const up = await fetch(`http://127.0.0.1:${port}/healthz`).then((response) => response.ok, () => false);
      if (up) return;
      if (running.child.exitCode !== null) throw new Error(`embedded mode exited early:\n${running.output()}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    throw new Error(`embedded mode did not answer /healthz within 45 s:\n${running.output()}`);
  }, 60_000);

  afterAll(() => {
    if (running?.child.exitCode === null) running.child.kill('SIGKILL');
  });

  it('prints where it listens, the web console first', () => {
    expect(running.output()).toContain(`web console  http://127.0.0.1:${port}/`);
    expect(running.output()).toContain(`API          http://127.0.0.1:${port}`);
  });

  it('serves the web console at / beside the API', async () => {
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="app">');
    expect(await (await fetch(`http://127.0.0.1:${port}/console/config`)).json()).toEqual({ streamUrls: [`ws://127.0.0.1:${streamPort}/v1/stream`], paperMode: true });
  });

  it('is ready on PGlite and serves metrics and the API docs', async () => {
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', dependencies: { event_store: 'up', read_models: 'up' } });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toContain('process="embedded"');
    expect((await fetch(`http://127.0.0.1:${port}/docs/json`)).status).toBe(200);
  });

  it("runs the README's curl examples: deposit, place an order, list it and read the account", async () => {
    const token = /export TOKEN=(\S+)/.exec(running.output())?.[1];
    expect(token).toBeDefined();
    const readme = readFileSync('README.md', 'utf8');
    const examples = readme.slice(readme.indexOf('## Try it'), readme.indexOf('Every command answer carries'));
    const commands = [...examples.matchAll(/^curl .*?(?=^curl |^#|^```)/gms)].map((match) => match[0].replace(/\\\n\s*/g, ' ').trim());
    expect(commands).toHaveLength(4);
    const curl = (command: string, position = '') =>
      execFileSync('bash', ['-c', command], {
        encoding: 'utf8',
        env: { ...process.env, TOKEN: token!, API: `http://127.0.0.1:${port}` },
      }).replace('<X-Position>', position);
    const deposited = JSON.parse(curl(commands[0]!));
    const placedRaw = curl(commands[1]!);
    const position = /x-position: (\d+)/i.exec(placedRaw)?.[1];
    const listed = JSON.parse(curl(commands[2]!.replace('<X-Position>', position!)));
    const account = JSON.parse(curl(commands[3]!));

    expect(deposited).toMatchObject({ cashCents: 1_000_000, buyingPowerCents: 1_000_000 });
    expect(placedRaw).toMatch(/HTTP\/1\.1 201/);
    expect(listed.orders).toHaveLength(1);
    // The limit rests far below the simulated market (AAPL trades near $190), holding its cash.
    expect(listed.orders[0]).toMatchObject({ clientOrderId: 'my-first-order', symbol: 'AAPL', qty: 10, limitPriceCents: 15_000 });
    expect(['pending', 'submitted']).toContain(listed.orders[0].status);
    expect(account).toMatchObject({ cashCents: 1_000_000, reservedCents: 150_000, buyingPowerCents: 850_000 });
  });

  it('quotes live prices from the simulator through the in-process tick log', async () => {
    const seqs: number[] = [];
    for (let i = 0; i < 3; i += 1) {
      seqs.push(((await (await fetch(`http://127.0.0.1:${port}/v1/symbols/AAPL`)).json()) as { seq: number }).seq);
      await new Promise((resolve) => setTimeout(resolve, 400));
    }
    expect(seqs[0]).toBeGreaterThan(0);
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
    expect(seqs[2]).toBeGreaterThan(seqs[1]!);
  });

  it('streams quotes and this account\'s order updates to the SDK on the price socket', async () => {
    const token = /export TOKEN=(\S+)/.exec(running.output())![1]!;
    expect(running.output()).toContain(`price socket ws://127.0.0.1:${streamPort}/v1/stream`);
    const client = new PriceStreamClient({ url: `ws://127.0.0.1:${streamPort}/v1/stream`, token });
    const quotes: Array<{ symbol: string; snapshot: boolean }> = [];
    const orders: Array<{ id: string; status: string; version: number }> = [];
    client.on('quote', (quote) => quotes.push(quote));
    client.on('order', (order) => orders.push(order as unknown as { id: string; status: string; version: number }));
    client.subscribe(['AAPL', 'MSFT']);
    client.subscribeOrders();
    await client.connect();
    await expect.poll(() => quotes.filter((quote) => !quote.snapshot).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect(quotes[0]).toMatchObject({ snapshot: true });

    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    await fetch(`http://127.0.0.1:${port}/v1/account/deposits`, { method: 'POST', headers, body: JSON.stringify({ amountCents: 5_000_000, idempotencyKey: 'stream-test' }) });
    const placed = await fetch(`http://127.0.0.1:${port}/v1/orders`, { method: 'POST', headers, body: JSON.stringify({ clientOrderId: 'stream-test-1', symbol: 'MSFT', side: 'buy', type: 'market', qty: 2, timeInForce: 'day' }) });
    expect(placed.status).toBe(201);
    const orderId = ((await placed.json()) as { id: string }).id;
    await expect.poll(() => orders.some((order) => order.status === 'filled'), { timeout: 15_000 }).toBe(true);
    expect(orders.every((order) => order.id === orderId)).toBe(true);
    expect(orders.map((order) => order.version)).toEqual([...orders.map((order) => order.version)].sort((a, b) => a - b));
    expect(client.dropped).toBe(0);
    await client.close();
  });

  it('serves the same quotes as server-sent events, by single-use ticket, resuming from Last-Event-ID', async () => {
    const token = /export TOKEN=(\S+)/.exec(running.output())![1]!;
    const issue = async () => {
      const response = await fetch(`http://127.0.0.1:${port}/v1/stream/tickets`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      expect(response.status).toBe(201);
      return ((await response.json()) as { ticket: string }).ticket;
    };
    const sse = (query: string, headers: Record<string, string> = {}) => fetch(`http://127.0.0.1:${streamPort}/v1/stream/sse?${query}`, { headers });

    const ticket = await issue();
    const first = await sse(`symbols=AAPL&ticket=${ticket}`);
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('text/event-stream');
    const events = await readEvents(first, (seen) => seen.filter((event) => event.event === 'quotes').length >= 3);
    expect(events[0]).toMatchObject({ event: 'snapshot' });
    expect(JSON.parse(events[0]!.data)).toMatchObject({ type: 'snapshot', symbol: 'AAPL', seq: expect.any(Number) });
    const lastSeq = (JSON.parse(events.at(-1)!.data) as { data: Array<{ seq: number }> }).data[0]!.seq;

    expect((await sse(`symbols=AAPL&ticket=${ticket}`)).status).toBe(401);
    expect((await sse(`symbols=AAPL&token=${token}`)).status).toBe(400);
    expect((await sse('symbols=AAPL')).status).toBe(401);

    const resumed = await sse(`symbols=AAPL&ticket=${await issue()}`, { 'last-event-id': events.at(-1)!.id! });
    const more = await readEvents(resumed, (seen) => seen.length >= 2);
    const seqs = more.map((event) => JSON.parse(event.data) as { seq?: number; data?: Array<{ seq: number }> }).map((message) => message.seq ?? message.data![0]!.seq);
    expect(seqs[0]).toBeGreaterThan(lastSeq);
    expect(seqs[1]).toBeGreaterThan(seqs[0]!);
  });

  it('logs structured JSON', () => {
    const lines = running.output().split('\n').filter((line) => line.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.parse(lines[0]!)).toMatchObject({ process: 'embedded', level: expect.any(Number) });
  });

  it('shuts down cleanly on SIGTERM with exit code 0', async () => {
    const exited = once(running.child, 'exit');
    running.child.kill('SIGTERM');
    const [code] = await exited;
    expect(code, running.output().slice(-4_000)).toBe(0);
    expect(running.output()).toContain('shut down cleanly');
  });
});

describe('a bad configuration', () => {
  it('stops start-up with one line naming the variable and exit code 78', async () => {
    const started = startCli(['api'], { API_PORT: 'not-a-port' });
    const [code] = await once(started.child, 'exit');
    expect(code).toBe(78);
    expect(started.output().trim()).toBe(
      'trading-core: configuration error: API_PORT is invalid: Invalid input: expected number, received NaN (got "not-a-port")',
    );
  });
});

/** Another process's exchange on a port: answers /healthz, and counts every other request and upgrade it gets. */
async function impostor(port: number): Promise<{ calls: string[]; close(): Promise<void> } | undefined> {
  const calls: string[] = [];
  const server = createServer((request, response) => {
    if (request.url === '/healthz') return void response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    calls.push(`${request.method} ${request.url}`);
    response.writeHead(503).end();
  });
  server.on('upgrade', (request, socket) => {
    calls.push(`upgrade ${request.url}`);
    socket.destroy();
  });
  const listening = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => resolve(true));
  });
  if (!listening) return undefined;
  return { calls, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('the embedded mode\'s simulator is its own', () => {
  it('when EXCHANGE_PORT is held by another process, stops with a line naming it instead of trading there', async () => {
    const port = await freePort();
    const other = (await impostor(port))!;
    const started = startCli(['embedded'], { API_PORT: String(await freePort()), STREAM_PORT: String(await freePort()), EXCHANGE_PORT: String(port), EXCHANGE_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', UNIVERSE_SIZE: '20' });
    try {
      const exited = once(started.child, 'exit').then(([code]) => code as number | null);
      const code = await Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), 40_000))]);
      expect(code, started.output()).not.toBe('running');
      expect(code).not.toBe(0);
      expect(started.output()).toContain(`EXCHANGE_PORT ${port} taken`);
      expect(other.calls).toEqual([]);
    } finally {
      if (started.child.exitCode === null) started.child.kill('SIGKILL');
      await other.close();
    }
  }, 60_000);

  it('without EXCHANGE_PORT, listens on a free port of its own even when 3100 is taken, and fills its orders there', async () => {
    // Port 3100 is the default: hold it here, unless something on this machine already does.
    const other = await impostor(3100);
    const apiPort = await freePort();
    const api = `http://127.0.0.1:${apiPort}`;
    const environment: Record<string, string> = { API_PORT: String(apiPort), STREAM_PORT: String(await freePort()), LOG_LEVEL: 'warn', UNIVERSE_SIZE: '20' };
    const inherited = { ...process.env };
    delete inherited.EXCHANGE_PORT;
    delete inherited.EXCHANGE_URL;
    let output = '';
    const child = spawn('bin/trading-core', ['embedded'], { env: { ...inherited, TRADING_CORE_FROM_SOURCE: '1', ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect.poll(() => fetch(`${api}/readyz`).then((response) => response.ok, () => false), { timeout: 45_000, interval: 200 }).toBe(true);
      const exchangeUrl = /exchange {5}simulated, child process on (http:\/\/\S+)/.exec(output)?.[1];
      expect(exchangeUrl).toBeDefined();
      expect(new URL(exchangeUrl!).port).not.toBe('3100');

      const token = /export TOKEN=(\S+)/.exec(output)![1]!;
      const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
      await fetch(`${api}/v1/account/deposits`, { method: 'POST', headers, body: JSON.stringify({ amountCents: 1_000_000, idempotencyKey: 'own-exchange' }) });
      const placed = await fetch(`${api}/v1/orders`, { method: 'POST', headers, body: JSON.stringify({ clientOrderId: 'own-exchange-1', symbol: 'AAPL', side: 'buy', type: 'market', qty: 1 }) });
      expect(placed.status).toBe(201);
      const orderId = ((await placed.json()) as { id: string }).id;
      await expect.poll(async () => ((await (await fetch(`${api}/v1/orders/${orderId}`, { headers })).json()) as { status: string }).status, { timeout: 15_000 }).toBe('filled');
      expect(other?.calls ?? []).toEqual([]);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
      await other?.close();
    }
  }, 90_000);
});
