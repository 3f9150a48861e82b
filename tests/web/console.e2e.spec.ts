import type { Page, WebSocketRoute } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatCents } from '../../web/src/money/cents.ts';
import { chromiumMissing, launchChromium, type Browser } from '../support/browser.ts';
import { deposit, goTo, nextWatchlistQuote, placeOrder, startEmbeddedConsole, startPaperAccount, type EmbeddedConsole } from '../support/console-driver.ts';

const missing = chromiumMissing();
if (missing) process.stderr.write(`[web] the browser tests are skipped: ${missing}\n`);

/**
 * The trader console in a real browser (Debian's Chromium through playwright-core) against the
 * embedded mode started as a user starts it: the "Must show" list, step by step, in order.
 */
describe.skipIf(missing !== undefined)('the trader web console in Chromium', () => {
  let product: EmbeddedConsole;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    [product, browser] = await Promise.all([startEmbeddedConsole(), launchChromium()]);
    page = await browser.context.newPage();
    // A step that cannot happen fails within the test's time, naming the step.
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await product?.process.stop();
  });

  it('starts a paper account from the first screen, with a live price feed', async () => {
    const accountId = await startPaperAccount(page, product.url);
    expect(accountId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await page.getByRole('status').filter({ hasText: 'Live' }).textContent()).toContain('prices and order updates are streaming');
    expect(await page.locator('[data-testid="cash"]').textContent()).toBe('$0.00');
  });

  it('deposits $10,000.00: cash, buying power and the activity show it', async () => {
    await deposit(page, '10,000.00');
    await page.locator('[data-testid="cash"]', { hasText: '$10,000.00' }).waitFor();
    expect(await page.locator('[data-testid="account-buying-power"]').textContent()).toBe('$10,000.00');
    await goTo(page, 'Activity');
    const row = page.locator('#activity tr[data-activity-type="deposit"]');
    await row.waitFor();
    expect(await row.getAttribute('data-net-amount-cents')).toBe('1000000');
    expect(await row.textContent()).toContain('+$10,000.00');
  });

  it('shows AAPL update live at least three times, in order of seq, each price shown from its cents', async () => {
    await goTo(page, 'Trade');
    const seen = [await nextWatchlistQuote(page, 'AAPL', 0)];
    for (let i = 0; i < 3; i += 1) seen.push(await nextWatchlistQuote(page, 'AAPL', seen.at(-1)!.seq));
    for (let i = 1; i < seen.length; i += 1) expect(seen[i]!.seq).toBeGreaterThan(seen[i - 1]!.seq);
    for (const quote of seen) expect(quote.text).toBe(formatCents(quote.priceCents));
    // The chart keeps updating from the same quotes.
    const chart = page.locator('figure.chart');
    const updates = Number(await chart.getAttribute('data-updates'));
    await expect.poll(async () => Number(await chart.getAttribute('data-updates')), { timeout: 10_000 }).toBeGreaterThan(updates);
    expect(Number(await chart.getAttribute('data-candles'))).toBeGreaterThan(0);
  });

  it('places a market buy that fills, and its position appears', async () => {
    await placeOrder(page, { side: 'Buy', type: 'Market', qty: '3' });
    expect(await page.getByRole('region', { name: 'Order ticket' }).getByRole('status').textContent()).toMatch(/^Order placed: buy 3 AAPL market/);
    await goTo(page, 'Orders');
    const filled = page.locator('#closed-orders tr[data-status="filled"]', { hasText: 'AAPL' });
    await filled.waitFor({ timeout: 20_000 });
    expect(await filled.locator('.status').textContent()).toBe('filled');
    await goTo(page, 'Positions');
    const position = page.locator('#positions tr[data-symbol="AAPL"]');
    await position.waitFor({ timeout: 10_000 });
    expect(await position.getAttribute('data-qty')).toBe('3');
    const value = Number(await position.getAttribute('data-market-value-cents'));
    expect(value % 3).toBe(0); // 3 shares at a price in whole cents
    expect(await position.textContent()).toContain(formatCents(value));
    expect(await position.locator('td.pl').textContent()).toMatch(/^([+−]\$[\d,]+\.\d\d [▲▼]|\$0\.00 ■)/);
  });

  it('places a resting limit buy and cancels it from the open orders', async () => {
    await goTo(page, 'Trade');
    await placeOrder(page, { side: 'Buy', type: 'Limit', qty: '2', limitPrice: '1.00', timeInForce: 'gtc' });
    await goTo(page, 'Orders');
    const resting = page.locator('#open-orders tr', { hasText: '$1.00' });
    await resting.waitFor();
    await page.locator('#open-orders tr[data-status="submitted"]', { hasText: '$1.00' }).waitFor({ timeout: 10_000 });
    const orderId = await resting.getAttribute('data-order-id');
    await resting.getByRole('button', { name: 'Cancel buy 2 AAPL limit $1.00' }).click();
    const canceled = page.locator(`#closed-orders tr[data-order-id="${orderId}"][data-status="canceled"]`);
    await canceled.waitFor({ timeout: 10_000 });
    expect(await page.locator(`#open-orders tr[data-order-id="${orderId}"]`).count()).toBe(0);
    expect(await canceled.locator('.status').textContent()).toBe('canceled');
  });

  it("shows an invalid order's error beside the field it concerns, from the contract", async () => {
    await goTo(page, 'Trade');
    await placeOrder(page, { side: 'Buy', type: 'Limit', qty: '1', limitPrice: '' });
    const limitPrice = page.getByLabel('Limit price ($)');
    expect(await page.locator('#ticket-limit-price-error').textContent()).toContain('is required for a limit order');
    expect(await limitPrice.getAttribute('aria-invalid')).toBe('true');
    expect(await limitPrice.getAttribute('aria-describedby')).toContain('ticket-limit-price-error');
    expect(await page.locator('#ticket-qty-error').textContent()).toBe('');

    // A buy beyond the buying power: the 422 goes beside the quantity.
    await placeOrder(page, { side: 'Buy', type: 'Market', qty: '1000' });
    expect(await page.locator('#ticket-qty-error').textContent()).toMatch(/buying power/i);
    expect(await page.locator('#ticket-limit-price-error').count()).toBe(0); // a market order has no limit price field
  });

  it('adds and removes watchlist symbols by keyboard alone', async () => {
    await page.getByLabel('Add symbol').focus();
    await page.keyboard.type('meta');
    await page.keyboard.press('Enter');
    const meta = page.locator('.watchlist tr[data-symbol="META"]');
    await meta.waitFor();
    await nextWatchlistQuote(page, 'META', 0);
    await page.getByLabel('Add symbol').fill('ZZZZ9');
    await page.keyboard.press('Enter');
    await page.locator('#watch-add-error', { hasText: 'ZZZZ9 is not listed.' }).waitFor();
    await meta.getByRole('button', { name: 'Remove META from the watchlist' }).focus();
    await page.keyboard.press('Enter');
    await meta.waitFor({ state: 'detached' });
    // Focus order, from the top of a fresh load: skip link, the account bar, the screens, then the screen itself.
    await page.reload();
    await page.locator('[data-feed-state="live"]').waitFor();
    const stops: string[] = [];
    for (let i = 0; i < 9; i += 1) {
      await page.keyboard.press('Tab');
      stops.push(await page.locator(':focus').evaluate((element) => element.id || element.textContent!.trim()));
    }
    expect(stops).toEqual(['Skip to the screen', 'Sign out', 'deposit-amount', 'Deposit', 'Trade', 'Orders', 'Positions', 'Activity', '1 m']);
    for (let i = 0; i < 8; i += 1) await page.keyboard.press('Shift+Tab');
    expect(await page.locator(':focus').textContent()).toBe('Skip to the screen');
    await page.keyboard.press('Enter');
    expect(await page.locator(':focus').getAttribute('id')).toBe('main');
  });

  it('shows a dropped price feed as reconnecting, not hidden, and goes live again with newer quotes', async () => {
    const second = await browser.context.newPage();
    second.setDefaultTimeout(10_000);
    second.on('pageerror', (error) => pageErrors.push(error.message));
    // The page's socket goes through Playwright: to the real price socket, or refused while `refuse` holds.
    let refuse = false;
    const sockets: WebSocketRoute[] = [];
    await second.routeWebSocket(/\/v1\/stream$/, (socket) => {
      if (refuse) return socket.close({ code: 1013, reason: 'try again later' });
      socket.connectToServer();
      sockets.push(socket);
    });
    await startPaperAccount(second, product.url);
    const before = await nextWatchlistQuote(second, 'AAPL', 0);

    refuse = true;
    await sockets.at(-1)!.close({ code: 1012, reason: 'service restart' });
    const status = second.locator('[data-feed-state="reconnecting"]');
    await status.waitFor();
    expect(await status.textContent()).toMatch(/Reconnecting attempt \d+ in \d+\.\d s — .*; prices shown may be old/);

    refuse = false;
    await second.locator('[data-feed-state="live"]').waitFor({ timeout: 15_000 });
    const after = await nextWatchlistQuote(second, 'AAPL', before.seq);
    expect(after.seq).toBeGreaterThan(before.seq);
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    await second.close();
  });

  it('raised no error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
