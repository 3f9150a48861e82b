import { useState } from 'preact/hooks';
import type { Order } from '../api/contract.ts';
import { byNewest, isOpen, orderSummary, STATUS_TEXT } from '../orders/order-book.ts';
import { formatCents } from '../money/cents.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { formatDateTime } from './time.ts';
import { messageOf } from '../api/http-client.ts';

function OrderRow({ order, onCancel, problem }: { order: Order; onCancel?: (order: Order) => void; problem?: string }) {
  const cancelable = onCancel && order.status !== 'pending_cancel';
  return (
    <tr data-order-id={order.id} data-client-order-id={order.clientOrderId} data-status={order.status}>
      <th scope="row">{order.symbol}</th>
      <td>{order.side}</td>
      <td>{order.type}</td>
      <td class="num">{order.qty}</td>
      <td class="num">{order.limitPriceCents === null ? '—' : formatCents(order.limitPriceCents)}</td>
      <td>{order.timeInForce}</td>
      <td class="num">
        {order.filledQty}
        {order.avgFillPriceCents === null ? '' : ` @ ${formatCents(order.avgFillPriceCents)}`}
      </td>
      <td>
        <span class={`status status-${order.status}`}>{STATUS_TEXT[order.status]}</span>
        {order.rejectReason ? <span class="muted"> ({order.rejectReason})</span> : null}
        {problem ? <span class="field-error"> {problem}</span> : null}
      </td>
      <td>{formatDateTime(order.createdAt)}</td>
      {onCancel ? (
        <td>
          <button type="button" onClick={() => onCancel(order)} disabled={!cancelable} aria-label={`Cancel ${orderSummary(order)}`}>
            {cancelable ? 'Cancel' : 'Canceling…'}
          </button>
        </td>
      ) : null}
    </tr>
  );
}

function OrdersTable({ id, title, orders, onCancel, problems }: { id: string; title: string; orders: readonly Order[]; onCancel?: (order: Order) => void; problems?: Record<string, string> }) {
  return (
    <section class="panel" aria-labelledby={`${id}-title`}>
      <h2 id={`${id}-title`}>{title}</h2>
      {orders.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="data" id={id}>
          <thead>
            <tr>
              <th scope="col">Symbol</th>
              <th scope="col">Side</th>
              <th scope="col">Type</th>
              <th scope="col" class="num">Qty</th>
              <th scope="col" class="num">Limit</th>
              <th scope="col">TIF</th>
              <th scope="col" class="num">Filled</th>
              <th scope="col">Status</th>
              <th scope="col">Placed</th>
              {onCancel ? <th scope="col"><span class="sr-only">Action</span></th> : null}
            </tr>
          </thead>
          <tbody>
            {orders.map((order) => (
              <OrderRow key={order.id} order={order} {...(onCancel ? { onCancel } : {})} {...(problems?.[order.id] ? { problem: problems[order.id] } : {})} />
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Open orders, live from `subscribe_orders`, each with a cancel button; and the latest closed ones. */
export function OrdersScreen({ session }: { session: TradingSession }) {
  const orders = useStore(session.orders);
  const [problems, setProblems] = useState<Record<string, string>>({});
  const all = byNewest(orders.values());

  async function cancel(order: Order) {
    try {
      await session.cancelOrder(order.id);
      setProblems(({ [order.id]: _gone, ...rest }) => rest);
    } catch (failure) {
      setProblems((current) => ({ ...current, [order.id]: messageOf(failure) }));
    }
  }

  return (
    <div class="stack">
      <OrdersTable id="open-orders" title="Open orders" orders={all.filter(isOpen)} onCancel={cancel} problems={problems} />
      <OrdersTable id="closed-orders" title="Recent closed orders" orders={all.filter((order) => !isOpen(order)).slice(0, 25)} />
    </div>
  );
}
