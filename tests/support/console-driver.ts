import type { Page } from 'playwright-core';
import { freePort, startTradingCore, type StartedProcess } from './processes.ts';

/**
 * Drives the trader web console as a person does: by labels, roles and visible text (the
 * `data-*` attributes only read what the page shows, such as each quote's seq). Shared by the
 * browser tests and `npm run screenshots`.
 */

export interface EmbeddedConsole {
  /** `http://127.0.0.1:<API_PORT>`: the console is at `/`. */
  readonly url: string;
  readonly streamPort: number;
  readonly process: StartedProcess;
}

/** `bin/trading-core embedded` on free ports, ready once it serves the console. */
export async function startEmbeddedConsole(environment: Record<string, string> = {}): Promise<EmbeddedConsole> {
  const [apiPort, streamPort, exchangePort] = [await freePort(), await freePort(), await freePort()];
  const url = `http://127.0.0.1:${apiPort}`;
  const process = await startTradingCore(
    ['embedded'],
    { API_PORT: String(apiPort), STREAM_PORT: String(streamPort), EXCHANGE_PORT: String(exchangePort), EXCHANGE_URL: `http://127.0.0.1:${exchangePort}`, LOG_LEVEL: 'warn', ...environment },
    async () => (await fetch(`${url}/`)).status === 200,
  );
  return { url, streamPort, process };
}

/** From the first screen: "Start paper account", then the console with a live feed. Returns the account id shown. */
export async function startPaperAccount(page: Page, url: string): Promise<string> {
  await page.goto(`${url}/`);
  await page.getByRole('button', { name: 'Start paper account' }).click();
  await page.locator('[data-feed-state="live"]').waitFor({ timeout: 15_000 });
  return (await page.locator('.account-id code').textContent())!.trim();
}

export async function deposit(page: Page, dollars: string): Promise<void> {
  await page.getByLabel('Deposit ($)').fill(dollars);
  await page.getByRole('button', { name: 'Deposit', exact: true }).click();
  await page.getByText(/^Deposited \$/).waitFor();
}

export type Screen = 'Trade' | 'Orders' | 'Positions' | 'Activity';

export async function goTo(page: Page, screen: Screen): Promise<void> {
  await page.getByRole('navigation', { name: 'Screens' }).getByRole('link', { name: screen, exact: true }).click();
  await page.locator(`main[aria-label="${screen === 'Activity' ? 'Account activity' : screen}"]`).waitFor();
}

export interface TicketOrder {
  readonly side: 'Buy' | 'Sell';
  readonly type: 'Market' | 'Limit';
  readonly qty: string;
  readonly limitPrice?: string;
  readonly timeInForce?: 'day' | 'gtc' | 'ioc' | 'fok';
}

/** Fills the order ticket of the symbol on screen and sends it; resolves once the ticket shows the API's answer. */
export async function placeOrder(page: Page, order: TicketOrder): Promise<void> {
  const ticket = page.getByRole('region', { name: 'Order ticket' });
  await ticket.getByRole('radio', { name: order.side, exact: true }).check();
  await ticket.getByRole('radio', { name: order.type, exact: true }).check();
  await ticket.getByLabel('Quantity (shares)').fill(order.qty);
  if (order.type === 'Limit') await ticket.getByLabel('Limit price ($)').fill(order.limitPrice ?? '');
  if (order.timeInForce) await ticket.getByLabel('Time in force').selectOption(order.timeInForce);
  const form = ticket.locator('form');
  const answered = Number(await form.getAttribute('data-answers'));
  await ticket.getByRole('button', { name: `Place ${order.side.toLowerCase()} order` }).click();
  await ticket.locator(`form[data-answers="${answered + 1}"]`).waitFor();
}

export interface ShownQuote {
  readonly seq: number;
  readonly priceCents: number;
  /** The price as the row shows it, e.g. `$187.25`. */
  readonly text: string;
}

/** The watchlist row's next quote after `afterSeq`: its seq, price and text read in one go (waits for it). */
export async function nextWatchlistQuote(page: Page, symbol: string, afterSeq: number, timeoutMs = 10_000): Promise<ShownQuote> {
  const row = page.locator(`.watchlist tr[data-symbol="${symbol}"]`);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const shown = await row.evaluate((element) => ({
      seq: Number(element.getAttribute('data-seq') || 0),
      priceCents: Number(element.getAttribute('data-price-cents') || 0),
      text: element.querySelector('.price')?.firstChild?.textContent?.trim() ?? '',
    }));
    if (shown.seq > afterSeq) return shown;
    if (Date.now() > deadline) throw new Error(`no ${symbol} quote after seq ${afterSeq} within ${timeoutMs} ms`);
    await page.waitForTimeout(25);
  }
}
