import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultWebConsoleRoot } from '../../infrastructure/http/web-console.ts';
import { startTradingApp, type TradingApp } from '../support/trading-app.ts';

/** The web console at `/` beside the API, answered through app.inject on the real composition over PGlite. */
describe('the api serves the web console', () => {
  let root: string;
  let served: TradingApp;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'console-'));
    mkdirSync(join(root, 'assets'));
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title><script type="module" src="/assets/index-abc123.js"></script>');
    writeFileSync(join(root, 'assets', 'index-abc123.js'), 'console.log("hi")');
    writeFileSync(join(root, '.source-hash'), 'not for browsers');
    served = await startTradingApp({ EVENT_STORE: 'pglite' }, { webConsole: { root, streamUrls: [], streamPort: 4101, paperMode: true } });
  });
  afterAll(async () => {
    await served?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('answers / with the page, checked on every load, and a policy that lets it reach only this API and the price socket', async () => {
    const page = await served.app.inject({ method: 'GET', url: '/', headers: { host: 'localhost:4100' } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<title>console</title>');
    expect(page.headers['cache-control']).toBe('no-cache');
    expect(page.headers['content-security-policy']).toContain("connect-src 'self' ws://localhost:4101");
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
  });

  it('serves content-hashed assets as immutable, and neither dotfiles nor unknown paths', async () => {
    const asset = await served.app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(asset.headers['content-security-policy']).toBeUndefined();
    for (const url of ['/.source-hash', '/nothing-here', '/v1/nothing']) {
      const missing = await served.app.inject({ method: 'GET', url });
      expect(missing.statusCode, url).toBe(404);
      expect(missing.json(), url).toEqual({ error: { code: 'not_found', message: `no route GET ${url}` } });
    }
  });

  it('tells the page where the price socket is: the host it was loaded from, at the stream port', async () => {
    const config = await served.app.inject({ method: 'GET', url: '/console/config', headers: { host: '127.0.0.1:4100' } });
    expect(config.statusCode).toBe(200);
    expect(config.json()).toEqual({ streamUrls: ['ws://127.0.0.1:4101/v1/stream'], paperMode: true });
    expect(config.headers['cache-control']).toBe('no-store');
  });

  it('leaves the API, its docs and the operations routes as they were', async () => {
    expect((await served.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await served.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
    expect((await served.app.inject({ method: 'GET', url: '/docs/json' })).json().paths['/console/config']).toBeDefined();
    expect((await served.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
    expect((await served.app.inject({ method: 'GET', url: '/v1/symbols/AAPL' })).json()).toMatchObject({ symbol: 'AAPL', priceCents: expect.any(Number) });
    expect((await served.app.inject({ method: 'GET', url: '/v1/account' })).statusCode).toBe(401);
  });

  it('finds web/dist of this checkout by default', () => {
    expect(defaultWebConsoleRoot()).toBe(join(process.cwd(), 'web', 'dist'));
  });
});

describe('an api whose console is not built', () => {
  let unbuilt: TradingApp;
  beforeAll(async () => {
    unbuilt = await startTradingApp({ EVENT_STORE: 'pglite' }, { paperFunding: false, webConsole: { root: join(tmpdir(), 'no-console-here'), streamUrls: ['wss://stream.example.test/v1/stream'], streamPort: 3001, paperMode: false } });
  });
  afterAll(() => unbuilt?.close());

  it('says so at / (503, how to build it) and still gives its configuration', async () => {
    const page = await unbuilt.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('npm run build:web');
    expect((await unbuilt.app.inject({ method: 'GET', url: '/console/config' })).json()).toEqual({ streamUrls: ['wss://stream.example.test/v1/stream'], paperMode: false });
  });
});
