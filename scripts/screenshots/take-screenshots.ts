// `npm run screenshots`: starts the embedded mode, drives Debian's Chromium through each screen of
// the trader web console and writes docs/screenshots/*.png (committed; run again after UI changes).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page, WebSocketRoute } from 'playwright-core';
import { chromiumMissing, launchChromium } from '../../tests/support/browser.ts';
import { buildConsoleIfStale } from '../../tests/support/processes.ts';
import { deposit, goTo, nextWatchlistQuote, placeOrder, startEmbeddedConsole, startPaperAccount } from '../../tests/support/console-driver.ts';

const OUT = 'docs/screenshots';
/** Enough one-minute candles for the chart to show a few bars; the wait is bounded. */
const CANDLES_WANTED = 2;
const CANDLE_WAIT_MS = 130_000;

const missing = chromiumMissing();
if (missing) {
  process.stderr.write(`screenshots: ${missing}; run bash scripts/services/chromium.sh start as root first\n`);
  process.exit(1);
}

async function shoot(page: Page, name: string, what?: string): Promise<void> {
  const path = join(OUT, `${name}.png`);
  // Let the last flash fade so the picture shows the resting state plus the arrows.
  await page.waitForTimeout(900);
  if (what) await page.locator(what).screenshot({ path });
  else await page.screenshot({ path, fullPage: true });
  process.stdout.write(`  ${path}\n`);
}

async function main(): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  buildConsoleIfStale();
  const product = await startEmbeddedConsole();
  const browser = await launchChromium({ width: 1440, height: 900 });
  try {
    const page = await browser.context.newPage();
    page.setDefaultTimeout(20_000);
    process.stdout.write(`screenshots of ${product.url}/ into ${OUT}/:\n`);

    await page.goto(`${product.url}/`);
    await page.getByRole('button', { name: 'Start paper account' }).waitFor();
    await shoot(page, '01-sign-in');

    await startPaperAccount(page, product.url);
    await deposit(page, '25,000.00');
    await placeOrder(page, { side: 'Buy', type: 'Market', qty: '20' });
    await page.goto(`${product.url}/#/trade/MSFT`);
    await placeOrder(page, { side: 'Buy', type: 'Market', qty: '8' });
    await page.goto(`${product.url}/#/trade/TSLA`);
    await placeOrder(page, { side: 'Buy', type: 'Limit', qty: '5', limitPrice: '200.00', timeInForce: 'gtc' });
    await placeOrder(page, { side: 'Buy', type: 'Limit', qty: '3', limitPrice: '205.50' });

    await page.goto(`${product.url}/#/trade/AAPL`);
    const chart = page.locator('figure.chart[data-interval="1m"]');
    const deadline = Date.now() + CANDLE_WAIT_MS;
    process.stdout.write(`  (waiting up to ${CANDLE_WAIT_MS / 1000} s for ${CANDLES_WANTED} one-minute candles)\n`);
    while (Number(await chart.getAttribute('data-candles')) < CANDLES_WANTED && Date.now() < deadline) await page.waitForTimeout(1_000);
    await nextWatchlistQuote(page, 'AAPL', 0);
    await shoot(page, '02-trade-symbol-chart-ticket');
    await shoot(page, '03-watchlist', '.watchlist');

    await page.getByRole('button', { name: '1 d' }).click();
    await page.locator('figure.chart[data-interval="1d"][data-candles="1"]').waitFor();
    await shoot(page, '04-daily-candles', '.symbol-view');

    await placeOrder(page, { side: 'Buy', type: 'Limit', qty: '1', limitPrice: '' });
    await page.locator('#ticket-limit-price-error', { hasText: 'required' }).waitFor();
    await shoot(page, '05-order-ticket-field-error', '.ticket');

    await goTo(page, 'Orders');
    await page.locator('#open-orders tr[data-status="submitted"]').first().waitFor();
    await shoot(page, '06-orders');

    await goTo(page, 'Positions');
    await page.locator('#positions tr[data-symbol="MSFT"]').waitFor();
    await shoot(page, '07-positions');

    await goTo(page, 'Activity');
    await page.locator('#activity tr[data-activity-type="fill"]').first().waitFor();
    await shoot(page, '08-activity');

    // The feed dropped: the console says so and keeps trying (the page's socket refused through Playwright).
    const dropped = await browser.context.newPage();
    const sockets: WebSocketRoute[] = [];
    let refuse = false;
    await dropped.routeWebSocket(/\/v1\/stream$/, (socket) => {
      if (refuse) return socket.close({ code: 1013, reason: 'try again later' });
      socket.connectToServer();
      sockets.push(socket);
    });
    await startPaperAccount(dropped, product.url);
    await nextWatchlistQuote(dropped, 'AAPL', 0);
    refuse = true;
    await sockets.at(-1)!.close({ code: 1012, reason: 'service restart' });
    await dropped.locator('[data-feed-state="reconnecting"]').waitFor();
    await shoot(dropped, '09-feed-reconnecting', '.top-bar');
  } finally {
    await browser.close();
    await product.process.stop();
  }
}

await main();
