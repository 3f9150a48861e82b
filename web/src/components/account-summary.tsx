import { useState } from 'preact/hooks';
import { ApiFailure } from '../api/http-client.ts';
import { useQuotes } from '../live/use-quotes.ts';
import { formatCents, parseDollars } from '../money/cents.ts';
import { valuePositions } from '../orders/position-value.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { describedBy, Field } from './field.tsx';

/** Paper mode: a trader funds its own account (`POST /v1/account/deposits`, idempotent by key). */
function DepositForm({ session }: { session: TradingSession }) {
  const [amount, setAmount] = useState('10,000.00');
  const [error, setError] = useState<string | undefined>(undefined);
  const [done, setDone] = useState('');
  const [busy, setBusy] = useState(false);

  async function deposit(event: Event) {
    event.preventDefault();
    setDone('');
    const cents = parseDollars(amount);
    if (cents === undefined || cents <= 0) return setError('Enter an amount in dollars, such as 10,000.00.');
    setBusy(true);
    try {
      await session.deposit(cents, `web-deposit-${crypto.randomUUID()}`);
      setError(undefined);
      setDone(`Deposited ${formatCents(cents)}.`);
    } catch (failure) {
      setError(failure instanceof ApiFailure ? (failure.fieldIssues[0]?.message ?? failure.message) : String(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <form class="deposit-form" onSubmit={deposit} noValidate>
      <Field id="deposit-amount" label="Deposit ($)" error={error}>
        <div class="inline-row">
          <input {...describedBy('deposit-amount', error)} name="amount" inputMode="decimal" autocomplete="off" value={amount} onInput={(event) => setAmount(event.currentTarget.value)} />
          <button type="submit" disabled={busy}>
            {busy ? 'Depositing…' : 'Deposit'}
          </button>
        </div>
      </Field>
      <p class="result" role="status">
        {done}
      </p>
    </form>
  );
}

/** Cash, reservations, buying power and equity (cash plus positions at live prices). */
export function AccountSummary({ session }: { session: TradingSession }) {
  const account = useStore(session.account);
  const positions = useStore(session.positions) ?? [];
  const quotes = useQuotes(
    session.feed.quotes,
    positions.map((position) => position.symbol),
  );
  const invested = valuePositions(positions, (symbol) => quotes.get(symbol)?.priceCents).marketValueCents;
  return (
    <section class="account-summary" aria-label="Account">
      <dl class="facts">
        <div>
          <dt>Cash</dt>
          <dd data-testid="cash">{account ? formatCents(account.cashCents) : '—'}</dd>
        </div>
        <div>
          <dt>Reserved</dt>
          <dd>{account ? formatCents(account.reservedCents) : '—'}</dd>
        </div>
        <div>
          <dt>Buying power</dt>
          <dd data-testid="account-buying-power">{account ? formatCents(account.buyingPowerCents) : '—'}</dd>
        </div>
        <div>
          <dt>Equity</dt>
          <dd>{account ? formatCents(account.cashCents + invested) : '—'}</dd>
        </div>
      </dl>
      {session.config.paperMode ? <DepositForm session={session} /> : null}
    </section>
  );
}
