import { useState } from 'preact/hooks';
import type { Activity } from '../api/contract.ts';
import { formatCents, formatSignedCents } from '../money/cents.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { formatDateTime } from './time.ts';

function describe(activity: Activity): string {
  if (activity.activityType !== 'fill') return activity.activityType === 'deposit' ? 'Deposit' : 'Withdrawal';
  return `${activity.side === 'buy' ? 'Bought' : 'Sold'} ${activity.qty} ${activity.symbol} @ ${activity.priceCents === null ? '—' : formatCents(activity.priceCents)}`;
}

/** The ledger entries that moved cash, newest first (`GET /v1/account/activities`), paged. */
export function ActivityScreen({ session }: { session: TradingSession }) {
  const page = useStore(session.activities);
  const [busy, setBusy] = useState(false);

  async function more() {
    setBusy(true);
    try {
      await session.loadMoreActivities();
    } finally {
      setBusy(false);
    }
  }

  return (
    <section class="panel" aria-labelledby="activity-title">
      <h2 id="activity-title">Account activity</h2>
      {page === undefined ? (
        <p class="muted">Loading…</p>
      ) : page.items.length === 0 ? (
        <p class="muted">No activity yet: a deposit is the first.</p>
      ) : (
        <table class="data" id="activity">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">What</th>
              <th scope="col" class="num">Cash</th>
            </tr>
          </thead>
          <tbody>
            {page.items.map((activity) => (
              <tr key={activity.id} data-activity-type={activity.activityType} data-net-amount-cents={activity.netAmountCents}>
                <td>{formatDateTime(activity.occurredAt)}</td>
                <td>{describe(activity)}</td>
                <td class="num">{formatSignedCents(activity.netAmountCents)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page?.nextCursor ? (
        <button type="button" onClick={more} disabled={busy}>
          {busy ? 'Loading…' : 'Show older'}
        </button>
      ) : null}
    </section>
  );
}
