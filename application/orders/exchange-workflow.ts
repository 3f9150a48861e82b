import { accountDecider, accountStreamId, holdHandled, type CashHold } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId, type ExistingOrder, type OrderState } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { EventStore } from '../event-store/event-store.ts';
import {
  ExchangeTimeoutError,
  ExchangeUnavailableError,
  type Exchange,
  type ExchangeExecution,
  type ExchangeOrderSnapshot,
  type ExternalOrderIndex,
} from '../exchange/exchange.ts';
import type { Clock, CommandContext } from '../shared/command-context.ts';
import { deterministicId } from '../shared/deterministic-ids.ts';
import { reserveOrReject, type ReservationDependencies } from './reserve-for-order.ts';

export interface ExchangeWorkflowDependencies extends ReservationDependencies {
  readonly exchange: Exchange;
  /** Finds the order an execution belongs to; the clientOrderId it carries is the fallback. */
  readonly index?: ExternalOrderIndex;
  readonly store: EventStore;
  readonly clock: Clock;
  /** Who the worker is in event metadata, e.g. `system:worker`. */
  readonly principal: string;
  readonly onAnomaly?: (anomaly: Anomaly) => void;
  /** Called between workflow steps (crash drills). */
  readonly onStep?: (step: string) => void;
}

export interface Anomaly {
  readonly kind: 'unknown_order' | 'overfill' | 'fill_after_end' | 'fill_above_reserved_price' | 'settlement_refused';
  readonly orderId: string;
  readonly detail: string;
  readonly report: unknown;
}

export type RouteOutcome = 'submitted' | 'rejected' | 'left_pending' | 'nothing_to_do';

/** The streams where operators find what the exchange reported that we could not apply. */
export const ANOMALY_STREAM = 'exchange-anomalies';

/**
 * The order workflow against the exchange (seed 002): route a held order, withdraw one pending
 * cancel, apply executions and end reports, and reconcile a stuck order by asking the exchange.
 * Every step is idempotent, so any step may be re-run after a crash.
 */
export function exchangeWorkflow(deps: ExchangeWorkflowDependencies) {
  const { commands, exchange } = deps;
  const context = (cause: string): CommandContext => ({
    correlationId: cause,
    causationId: cause,
    principal: deps.principal,
    occurredAt: deps.clock.now().toISOString(),
  });

  async function loadOrder(orderId: string): Promise<ExistingOrder | undefined> {
    const loaded = await commands.load(orderDecider, orderStreamId(orderId));
    return loaded.state.status === 'none' ? undefined : loaded.state;
  }

  async function release(order: ExistingOrder, cause: string): Promise<void> {
    await commands.handle(accountDecider, accountStreamId(order.accountId), { type: 'ReleaseReservation', data: { accountId: order.accountId, orderId: order.orderId } }, context(cause), `account/${order.accountId}/release/${order.orderId}`);
  }

  async function recordAnomaly(anomaly: Anomaly): Promise<void> {
    deps.onAnomaly?.(anomaly);
    const id = deterministicId(`anomaly/${anomaly.kind}/${JSON.stringify(anomaly.report)}`);
    await deps.store.append(ANOMALY_STREAM, [{ id, type: 'ExchangeReportAnomalous', data: anomaly, metadata: { correlationId: id, causationId: id, principal: deps.principal } }], 'any');
  }

  /** An order that has ended at the exchange ends here too, and its hold is released. */
  async function end(order: ExistingOrder, status: 'canceled' | 'expired' | 'rejected', reason: string, cause: string): Promise<void> {
    const stream = orderStreamId(order.orderId);
    if (status === 'rejected') await commands.handle(orderDecider, stream, { type: 'RejectOrder', data: { orderId: order.orderId, reason } }, context(cause), `order/${order.orderId}/exchange-reject`);
    else if (status === 'canceled') await commands.handle(orderDecider, stream, { type: 'ConfirmCancel', data: { orderId: order.orderId } }, context(cause), `order/${order.orderId}/canceled`);
    else await commands.handle(orderDecider, stream, { type: 'ExpireOrder', data: { orderId: order.orderId } }, context(cause), `order/${order.orderId}/expired`);
    await release(order, cause);
  }

  async function recordSubmission(order: ExistingOrder, externalOrderId: string, cause: string): Promise<ExistingOrder> {
    const outcome = await commands.handle(orderDecider, orderStreamId(order.orderId), { type: 'RecordSubmission', data: { orderId: order.orderId, externalOrderId } }, context(cause), `order/${order.orderId}/submitted`);
    return outcome.state as ExistingOrder;
  }

  /** One execution: recorded on the order once, settled on the account once, hold released at the end. */
  async function applyExecution(execution: ExchangeExecution): Promise<void> {
    const cause = deterministicId(`execution/${execution.executionId}`);
    // The index knows the exchange's id once the submission is projected; until then (a fill can
    // beat the projector) the clientOrderId the exchange echoes is our orderId.
    const indexed = await deps.index?.lookup(execution.externalOrderId);
    if (indexed && indexed.orderId !== execution.clientOrderId) {
      return recordAnomaly({ kind: 'unknown_order', orderId: indexed.orderId, detail: `execution names order ${execution.clientOrderId}, the index ${indexed.orderId}`, report: execution });
    }
    let order = await loadOrder(indexed?.orderId ?? execution.clientOrderId);
    if (!order) return recordAnomaly({ kind: 'unknown_order', orderId: execution.clientOrderId, detail: 'an execution for an order we never placed', report: execution });
    if (order.externalOrderId === null && order.status === 'pending') order = await recordSubmission(order, execution.externalOrderId, cause);
    let recorded: OrderState;
    try {
      recorded = (await commands.handle(orderDecider, orderStreamId(order.orderId), { type: 'RecordFill', data: { orderId: order.orderId, executionId: execution.executionId, qty: execution.qty, priceCents: execution.priceCents } }, context(cause), `order/${order.orderId}/fill/${execution.executionId}`)).state;
      deps.onStep?.('fill-recorded');
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      // More than the order's quantity is an overfill, whether or not the order had filled.
      const kind = error.code === 'overfill' || order.status === 'filled' ? 'overfill' : 'fill_after_end';
      return recordAnomaly({ kind, orderId: order.orderId, detail: error.message, report: execution });
    }
    try {
      await commands.handle(
        accountDecider,
        accountStreamId(order.accountId),
        { type: 'SettleFill', data: { accountId: order.accountId, orderId: order.orderId, executionId: execution.executionId, side: order.side, symbol: order.symbol, qty: execution.qty, priceCents: execution.priceCents } },
        context(cause),
        `account/${order.accountId}/settle/${execution.executionId}`,
      );
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return recordAnomaly({ kind: error.code === 'fill_above_reserved_price' ? 'fill_above_reserved_price' : 'settlement_refused', orderId: order.orderId, detail: error.message, report: execution });
    }
    if (recorded.status !== 'none' && isTerminal(recorded.status)) await release(order, cause);
  }

  /** What the exchange knows of an order, applied: submission, every execution, its end. */
  async function applySnapshot(order: ExistingOrder, snapshot: ExchangeOrderSnapshot, cause: string): Promise<void> {
    if (snapshot.status === 'rejected') return end(order, 'rejected', snapshot.rejectReason ?? 'rejected by the exchange', cause);
    let current = order.externalOrderId === null ? await recordSubmission(order, snapshot.externalOrderId, cause) : order;
    for (const execution of snapshot.executions) await applyExecution(execution);
    if (snapshot.status === 'canceled' || snapshot.status === 'expired') {
      current = (await loadOrder(order.orderId)) ?? current;
      if (!isTerminal(current.status)) await end(current, snapshot.status, snapshot.status, cause);
    }
  }

  return {
    /** Sends a held, pending order to the exchange (clientOrderId = orderId). */
    async routeOrder(orderId: string): Promise<RouteOutcome> {
      const order = await loadOrder(orderId);
      if (!order || order.status !== 'pending' || order.externalOrderId !== null) return 'nothing_to_do';
      const account = await commands.load(accountDecider, accountStreamId(order.accountId));
      const hold = account.state.holds[orderId];
      if (!hold) return 'nothing_to_do';
      const cause = deterministicId(`route/${orderId}`);
      // Mark the order first; a cancel that won the race has ended it, and nothing is sent.
      const marked = await commands.handle(orderDecider, orderStreamId(orderId), { type: 'StartRouting', data: { orderId } }, context(cause), `order/${orderId}/routing`);
      if (marked.state.status !== 'pending') return 'nothing_to_do';
      let snapshot: ExchangeOrderSnapshot;
      try {
        snapshot = await exchange.placeOrder({
          clientOrderId: orderId,
          symbol: order.symbol,
          side: order.side,
          type: order.type,
          qty: order.qty,
          limitPriceCents: order.limitPriceCents,
          protectionPriceCents: order.type === 'market' && order.side === 'buy' ? (hold as CashHold).perShareCents : null,
          timeInForce: order.timeInForce,
        });
      } catch (error) {
        // Unknown outcome or exchange down: the order stays pending and the reconciler resolves it.
        if (error instanceof ExchangeTimeoutError || error instanceof ExchangeUnavailableError) return 'left_pending';
        throw error;
      }
      deps.onStep?.('exchange-accepted');
      // A cancel that arrived meanwhile is found by the next step's expected revision.
      await applySnapshot(marked.state as ExistingOrder, snapshot, cause);
      return snapshot.status === 'rejected' ? 'rejected' : 'submitted';
    },

    /**
     * Withdraws an order in pending_cancel from the exchange. One whose sending began but whose
     * answer never came is looked up by clientOrderId first: unknown there, it never arrived,
     * and the cancel completes here.
     */
    async withdrawOrder(orderId: string): Promise<void> {
      const order = await loadOrder(orderId);
      if (!order || order.status !== 'pending_cancel') return;
      let snapshot: ExchangeOrderSnapshot | undefined;
      try {
        if (order.externalOrderId === null) {
          const known = await exchange.findOrder(orderId);
          if (!known) return end(order, 'canceled', 'never reached the exchange', deterministicId(`withdraw/${orderId}/unsent`));
          snapshot = known.status === 'accepted' || known.status === 'partially_filled' ? await exchange.cancelOrder(known.externalOrderId) : known;
        } else {
          snapshot = await exchange.cancelOrder(order.externalOrderId);
        }
      } catch (error) {
        if (error instanceof ExchangeTimeoutError || error instanceof ExchangeUnavailableError) return;
        throw error;
      }
      deps.onStep?.('cancel-sent');
      if (snapshot) await applySnapshot(order, snapshot, deterministicId(`withdraw/${orderId}`));
    },

    applyExecution,

    /** An order's end reported on the feed (IOC remainder, FOK, day close, cancel). */
    async applyOrderStatus(report: { clientOrderId: string; externalOrderId: string; status: 'canceled' | 'expired' | 'rejected'; reason?: string; seq: number }): Promise<void> {
      let order = await loadOrder(report.clientOrderId);
      if (!order) return recordAnomaly({ kind: 'unknown_order', orderId: report.clientOrderId, detail: `a ${report.status} report for an order we never placed`, report });
      const cause = deterministicId(`status/${report.externalOrderId}/${report.status}`);
      if (report.status !== 'rejected' && order.externalOrderId === null && order.status === 'pending') order = await recordSubmission(order, report.externalOrderId, cause);
      if (!isTerminal(order.status)) await end(order, report.status, report.reason ?? report.status, cause);
    },

    /**
     * Drives a stuck order (pending or pending_cancel too long) to the exchange's truth: asks by
     * clientOrderId, then applies what it learns — or routes the order if the exchange never
     * got it.
     */
    async reconcileOrder(orderId: string): Promise<void> {
      const order = await loadOrder(orderId);
      if (!order || isTerminal(order.status)) return;
      if (order.status === 'pending' && order.externalOrderId === null) {
        // Stored but never held (a crash between the two steps of placement): hold now, or reject.
        const account = await commands.load(accountDecider, accountStreamId(order.accountId));
        if (!holdHandled(account.state, orderId)) {
          const reservation = await reserveOrReject(deps, order, context(deterministicId(`reconcile/${orderId}/reserve`)));
          if (reservation.refusal) return;
        }
      }
      let snapshot: ExchangeOrderSnapshot | undefined;
      try {
        snapshot = await exchange.findOrder(orderId);
      } catch (error) {
        if (error instanceof ExchangeTimeoutError || error instanceof ExchangeUnavailableError) return;
        throw error;
      }
      if (!snapshot) {
        if (order.status === 'pending') await this.routeOrder(orderId);
        if (order.status === 'pending_cancel') await this.withdrawOrder(orderId);
        return;
      }
      await applySnapshot(order, snapshot, deterministicId(`reconcile/${orderId}/${snapshot.status}/${snapshot.filledQty}`));
      const current = await loadOrder(orderId);
      if (current?.status === 'pending_cancel') await this.withdrawOrder(orderId);
    },
  };
}

export type ExchangeWorkflow = ReturnType<typeof exchangeWorkflow>;
