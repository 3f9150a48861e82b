import { accountDecider, accountStreamId, type AccountCommand } from '../../domain/account/account.ts';
import { checkExecution, evolve, isTerminal, orderDecider, orderStreamId, type Execution, type ExistingOrder, type OrderState } from '../../domain/order/order.ts';
import { DomainError } from '../../domain/shared/domain-error.ts';
import type { ExchangeExecution, ExchangeOrderSnapshot, ExternalOrderIndex } from '../exchange/exchange.ts';
import type { CommandHandler } from '../shared/command-handler.ts';
import { deterministicId } from '../shared/deterministic-ids.ts';
import type { Anomaly, OrderSteps } from './order-steps.ts';

export interface ExchangeReportDependencies {
  readonly commands: CommandHandler;
  /** Finds the order an execution belongs to; the clientOrderId it carries is the fallback. */
  readonly index?: ExternalOrderIndex;
  /** Called between workflow steps (crash drills). */
  readonly onStep?: (step: string) => void;
}

export interface OrderStatusReport {
  readonly clientOrderId: string;
  readonly externalOrderId: string;
  readonly status: 'canceled' | 'expired' | 'rejected';
  readonly reason?: string;
}

/** Which anomaly a refused execution is, by the rule it broke. */
function refusedExecution(error: DomainError, order: ExistingOrder): Anomaly['kind'] {
  switch (error.code) {
    case 'overfill':
      return 'overfill';
    case 'order_not_fillable':
      return order.status === 'filled' ? 'overfill' : 'fill_after_end';
    case 'fill_through_limit':
    case 'execution_mismatch':
    case 'fill_above_reserved_price':
      return error.code;
    default:
      return 'settlement_refused';
  }
}

/**
 * What the exchange reports — executions and order ends on its feed, and its answers about an
 * order — applied to our orders and ledger. The exchange is a peer we do not trust: a report is
 * applied only when it names our order as we know it and is one that order can have; anything
 * else is kept as an anomaly and changes neither the order nor the ledger.
 */
export function exchangeReports(deps: ExchangeReportDependencies, steps: OrderSteps) {
  const { commands } = deps;

  /** The order a report names, or why it is not ours to apply. */
  async function orderNamed(report: { clientOrderId: string; externalOrderId: string }): Promise<ExistingOrder | Omit<Anomaly, 'report'>> {
    // The index knows the exchange's id once the submission is projected; until then (a fill can
    // beat the projector) the clientOrderId the exchange echoes is our orderId.
    const indexed = await deps.index?.lookup(report.externalOrderId);
    if (indexed && indexed.orderId !== report.clientOrderId) {
      return { kind: 'unknown_order', orderId: indexed.orderId, detail: `the report names order ${report.clientOrderId}, the index ${indexed.orderId}` };
    }
    const order = await steps.loadOrder(indexed?.orderId ?? report.clientOrderId);
    if (!order) return { kind: 'unknown_order', orderId: report.clientOrderId, detail: 'a report for an order we never placed' };
    if (order.externalOrderId !== null && order.externalOrderId !== report.externalOrderId) {
      return { kind: 'unknown_order', orderId: order.orderId, detail: `the report names exchange order ${report.externalOrderId}; ours is ${order.externalOrderId}` };
    }
    return order;
  }

  /**
   * One execution: checked against the order and against the ledger before either records it,
   * then recorded on the order once, settled on the account once, hold released at the end.
   */
  async function applyExecution(execution: ExchangeExecution): Promise<void> {
    const cause = deterministicId(`execution/${execution.executionId}`);
    const named = await orderNamed(execution);
    if (!('status' in named)) return steps.recordAnomaly({ ...named, report: execution });
    let order = named;
    const fill: Execution = { orderId: order.orderId, executionId: execution.executionId, symbol: execution.symbol, side: execution.side, qty: execution.qty, priceCents: execution.priceCents };
    const settle: AccountCommand = { type: 'SettleFill', data: { accountId: order.accountId, orderId: order.orderId, executionId: fill.executionId, side: order.side, symbol: order.symbol, qty: fill.qty, priceCents: fill.priceCents } };
    try {
      if (!(fill.executionId in order.executions)) {
        // Checked as the order will stand once the submission the execution implies is recorded.
        const submitted: OrderState = order.externalOrderId === null && order.status === 'pending' ? evolve(order, { type: 'OrderSubmitted', data: { orderId: order.orderId, accountId: order.accountId, externalOrderId: execution.externalOrderId } }) : order;
        checkExecution(fill, submitted);
      }
      const account = await commands.load(accountDecider, accountStreamId(order.accountId));
      accountDecider.decide(settle, account.state);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      return steps.recordAnomaly({ kind: refusedExecution(error, order), orderId: order.orderId, detail: error.message, report: execution });
    }
    if (order.externalOrderId === null && order.status === 'pending') order = await steps.recordSubmission(order, execution.externalOrderId, cause);
    const recorded = (await commands.handle(orderDecider, orderStreamId(order.orderId), { type: 'RecordFill', data: fill }, steps.context(cause), `order/${order.orderId}/fill/${fill.executionId}`)).state;
    deps.onStep?.('fill-recorded');
    await commands.handle(accountDecider, accountStreamId(order.accountId), settle, steps.context(cause), `account/${order.accountId}/settle/${fill.executionId}`);
    if (recorded.status !== 'none' && isTerminal(recorded.status)) await steps.release(order, cause);
  }

  /** An order's end reported on the feed (IOC remainder, FOK, day close, cancel). */
  async function applyOrderStatus(report: OrderStatusReport): Promise<void> {
    const named = await orderNamed(report);
    if (!('status' in named)) return steps.recordAnomaly({ ...named, report });
    let order = named;
    const cause = deterministicId(`status/${report.externalOrderId}/${report.status}`);
    if (isTerminal(order.status)) return;
    const unaccepted = order.externalOrderId === null;
    if (report.status === 'rejected' && !unaccepted) {
      return steps.recordAnomaly({ kind: 'unexpected_status', orderId: order.orderId, detail: `a rejection of an order the exchange had accepted (${order.status})`, report });
    }
    if (report.status !== 'rejected' && unaccepted && order.status === 'pending') order = await steps.recordSubmission(order, report.externalOrderId, cause);
    await steps.end(order, report.status, report.reason ?? report.status, cause);
  }

  /** What the exchange knows of an order, applied: submission, every execution, its end. */
  async function applySnapshot(order: ExistingOrder, snapshot: ExchangeOrderSnapshot, cause: string): Promise<void> {
    if (snapshot.clientOrderId !== order.orderId || (order.externalOrderId !== null && snapshot.externalOrderId !== order.externalOrderId)) {
      return steps.recordAnomaly({ kind: 'foreign_answer', orderId: order.orderId, detail: `asked about order ${order.orderId} (${order.externalOrderId ?? 'not yet accepted'}), the exchange answered about ${snapshot.clientOrderId} (${snapshot.externalOrderId})`, report: snapshot });
    }
    if (snapshot.status === 'rejected') return applyOrderStatus({ clientOrderId: order.orderId, externalOrderId: snapshot.externalOrderId, status: 'rejected', reason: snapshot.rejectReason ?? 'rejected by the exchange' });
    if (order.externalOrderId === null) await steps.recordSubmission(order, snapshot.externalOrderId, cause);
    for (const execution of snapshot.executions) await applyExecution(execution);
    if (snapshot.status === 'canceled' || snapshot.status === 'expired') await applyOrderStatus({ clientOrderId: order.orderId, externalOrderId: snapshot.externalOrderId, status: snapshot.status });
  }

  return { applyExecution, applyOrderStatus, applySnapshot };
}
