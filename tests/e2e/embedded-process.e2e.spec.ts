import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../support/processes.ts';

function startCli(args: string[], environment: Record<string, string>): { child: ChildProcess; output: () => string } {
  let output = '';
  const child = spawn('bin/trading-core', args, { env: { ...process.env, TRADING_CORE_FROM_SOURCE: '1', ...environment }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

describe('the embedded mode, started as a user starts it', () => {
  let port: number;
  let running: ReturnType<typeof startCli>;

  beforeAll(async () => {
    port = await freePort();
    const exchangePort = await freePort();
    running = startCli(['embedded'], { API_PORT: String(port), EXCHANGE_PORT: String(exchangePort), EXCHANGE_URL: `http://127.0.0.1:${exchangePort}`, LOG_LEVEL: 'info' });
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

  it('prints where it listens', () => {
    expect(running.output()).toContain(`API          http://127.0.0.1:${port}`);
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
