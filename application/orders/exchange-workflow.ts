import { accountDecider, accountStreamId, holdHandled, type CashHold } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId, type ExistingOrder } from '../../domain/order/order.ts';
import {
  ExchangeTimeoutError,
  ExchangeUnavailableError,
  type Exchange,
  type ExchangeOrderSnapshot,
} from '../exchange/exchange.ts';
import { deterministicId } from '../shared/deterministic-ids.ts';
import { exchangeReports, type ExchangeReportDependencies } from './exchange-reports.ts';
import { orderSteps, type OrderStepDependencies } from './order-steps.ts';
import { reserveOrReject, type ReservationDependencies } from './reserve-for-order.ts';

export { ANOMALY_STREAM, type Anomaly } from './order-steps.ts';

export interface ExchangeWorkflowDependencies extends ReservationDependencies, OrderStepDependencies, ExchangeReportDependencies {
  readonly exchange: Exchange;
}

export type RouteOutcome = 'submitted' | 'rejected' | 'left_pending' | 'nothing_to_do';

/** What the exchange said, or that it could not be asked now (it is down, or the answer is late). */
async function ask<T>(call: () => Promise<T>): Promise<{ answer: T } | undefined> {
  try {
    return { answer: await call() };
  } catch (error) {
    if (error instanceof ExchangeTimeoutError || error instanceof ExchangeUnavailableError) return undefined;
    throw error;
  }
}

/**
 * The order workflow against the exchange (seed 002): route a held order, withdraw one pending
 * cancel, apply executions and end reports, and reconcile an order by asking the exchange —
 * including after the exchange restarted and forgot its orders. Every step is idempotent, so any
 * step may be re-run after a crash.
 */
export function exchangeWorkflow(deps: ExchangeWorkflowDependencies) {
  const { commands, exchange } = deps;
  const steps = orderSteps(deps);
  const reports = exchangeReports(deps, steps);

  /**
   * The exchange does not know the order (never got it, or forgot it in a restart): one never
   * accepted is routed now, a cancel of it completes here, and one it had accepted is failed with
   * its hold released — its fills so far stand.
   */
  async function settleUnknown(order: ExistingOrder, cause: string): Promise<boolean> {
    if (order.status === 'pending') {
      return (await workflow.routeOrder(order.orderId)) !== 'left_pending';
    } else if (order.status === 'pending_cancel') {
      await steps.end(order, 'canceled', order.externalOrderId === null ? 'never reached the exchange' : 'the exchange no longer knows it', cause);
    } else if (!isTerminal(order.status)) {
      await steps.end(order, 'failed', 'lost_by_exchange: the exchange no longer knows this order (it restarted); nothing more of it will fill', cause);
    }
    return true;
  }

  const workflow = {
    /** Sends a held, pending order to the exchange (clientOrderId = orderId). */
    async routeOrder(orderId: string): Promise<RouteOutcome> {
      const order = await steps.loadOrder(orderId);
      if (!order || order.status !== 'pending' || order.externalOrderId !== null) return 'nothing_to_do';
      const account = await commands.load(accountDecider, accountStreamId(order.accountId));
      const hold = account.state.holds[orderId];
      if (!hold) return 'nothing_to_do';
      const cause = deterministicId(`route/${orderId}`);
      const protectionPriceCents = order.type === 'market' && order.side === 'buy' ? (hold as CashHold).perShareCents : null;
      // Mark the order first; a cancel that won the race has ended it, and nothing is sent.
      const marked = await commands.handle(orderDecider, orderStreamId(orderId), { type: 'StartRouting', data: { orderId, protectionPriceCents } }, steps.context(cause), `order/${orderId}/routing`);
      if (marked.state.status !== 'pending') return 'nothing_to_do';
      const placed = await ask(() =>
        exchange.placeOrder({ clientOrderId: orderId, symbol: order.symbol, side: order.side, type: order.type, qty: order.qty, limitPriceCents: order.limitPriceCents, protectionPriceCents, timeInForce: order.timeInForce }),
      );
      // Unknown outcome or exchange down: the order stays pending and the reconciler resolves it.
      if (!placed) return 'left_pending';
      deps.onStep?.('exchange-accepted');
      // A cancel that arrived meanwhile is found by the next step's expected revision.
      await reports.applySnapshot(marked.state as ExistingOrder, placed.answer, cause);
      return placed.answer.status === 'rejected' ? 'rejected' : 'submitted';
    },

    /**
     * Withdraws an order in pending_cancel from the exchange. One whose sending began but whose
     * answer never came is looked up by clientOrderId first; one the exchange does not know
     * (never arrived, or forgotten in a restart) is canceled here.
     */
    async withdrawOrder(orderId: string): Promise<void> {
      const order = await steps.loadOrder(orderId);
      if (!order || order.status !== 'pending_cancel') return;
      const cause = deterministicId(`withdraw/${orderId}`);
      let known: ExchangeOrderSnapshot | undefined;
      if (order.externalOrderId === null) {
        const found = await ask(() => exchange.findOrder(orderId));
        if (!found) return;
        known = found.answer;
      } else {
        // By both ids (FIX's OrderID and OrigClOrdID): a stale id cannot cancel another order.
        const canceled = await ask(() => exchange.cancelOrder(order.externalOrderId!, orderId));
        if (!canceled) return;
        known = canceled.answer;
      }
      if (!known) {
        await settleUnknown(order, cause);
        return;
      }
      if (known.clientOrderId === orderId && (known.status === 'accepted' || known.status === 'partially_filled')) {
        const { externalOrderId } = known;
        const canceled = await ask(() => exchange.cancelOrder(externalOrderId, orderId));
        if (!canceled) return;
        known = canceled.answer ?? known;
      }
      deps.onStep?.('cancel-sent');
      await reports.applySnapshot(order, known, cause);
    },

    applyExecution: reports.applyExecution,
    applyOrderStatus: reports.applyOrderStatus,

    /**
     * Drives an order to the exchange's truth: asks by clientOrderId, then applies what it learns
     * — routes it if the exchange never got it, settles it if the exchange forgot it. An order
     * that has ended here gets its hold released if one was left behind. False when the exchange
     * could not be asked (down, or too slow): the order is as it was, and must be asked again.
     */
    async reconcileOrder(orderId: string): Promise<boolean> {
      const order = await steps.loadOrder(orderId);
      if (!order) return true;
      const cause = deterministicId(`reconcile/${orderId}`);
      if (isTerminal(order.status)) {
        await steps.releaseIfHeld(order, cause);
        return true;
      }
      if (order.status === 'pending' && order.externalOrderId === null) {
        // Stored but never held (a crash between the two steps of placement): hold now, or reject.
        const account = await commands.load(accountDecider, accountStreamId(order.accountId));
        if (!holdHandled(account.state, orderId)) {
          const reservation = await reserveOrReject(deps, order, steps.context(deterministicId(`reconcile/${orderId}/reserve`)));
          if (reservation.refusal) return true;
        }
      }
      const found = await ask(() => exchange.findOrder(orderId));
      if (!found) return false;
      const snapshot = found.answer;
      if (!snapshot) return settleUnknown(order, cause);
      await reports.applySnapshot(order, snapshot, deterministicId(`reconcile/${orderId}/${snapshot.status}/${snapshot.filledQty}`));
      const current = await steps.loadOrder(orderId);
      if (current?.status === 'pending_cancel') await workflow.withdrawOrder(orderId);
      return true;
    },

    /**
     * Gives up on an order whose steps keep failing for a reason of its own: withdrawn from the
     * exchange when it may be there (best effort), then failed, with its hold released.
     */
    async abandonOrder(orderId: string, reason: string): Promise<void> {
      const order = await steps.loadOrder(orderId);
      if (!order) return;
      const cause = deterministicId(`abandon/${orderId}`);
      if (!isTerminal(order.status) && order.externalOrderId !== null) await ask(() => exchange.cancelOrder(order.externalOrderId!, orderId));
      if (isTerminal(order.status)) await steps.releaseIfHeld(order, cause);
      else await steps.end(order, 'failed', `abandoned: ${reason}`, cause);
    },
  };
  return workflow;
}

export type ExchangeWorkflow = ReturnType<typeof exchangeWorkflow>;
