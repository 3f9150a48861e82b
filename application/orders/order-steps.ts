import { accountDecider, accountStreamId } from '../../domain/account/account.ts';
import { isTerminal, orderDecider, orderStreamId, type ExistingOrder, type OrderCommand } from '../../domain/order/order.ts';
import type { EventStore } from '../event-store/event-store.ts';
import type { Clock, CommandContext } from '../shared/command-context.ts';
import type { CommandHandler } from '../shared/command-handler.ts';
import { deterministicId } from '../shared/deterministic-ids.ts';
import { settleFillsAndRelease } from './release-hold.ts';

/** Something the exchange reported or answered that we refused to apply. */
export interface Anomaly {
  readonly kind:
    | 'unknown_order'
    | 'overfill'
    | 'fill_after_end'
    | 'fill_through_limit'
    | 'execution_mismatch'
    | 'fill_above_reserved_price'
    | 'settlement_refused'
    | 'foreign_answer'
    | 'unexpected_status';
  readonly orderId: string;
  readonly detail: string;
  readonly report: unknown;
}

/** The stream where operators and auditors find what the exchange reported that we could not apply. */
export const ANOMALY_STREAM = 'exchange-anomalies';

export interface OrderStepDependencies {
  readonly commands: CommandHandler;
  readonly store: EventStore;
  readonly clock: Clock;
  /** Who the worker is in event metadata, e.g. `system:worker`. */
  readonly principal: string;
  readonly onAnomaly?: (anomaly: Anomaly) => void;
}

export type OrderEnding = 'rejected' | 'canceled' | 'expired' | 'failed';

/** How an order ends here: the command, and the step key that makes it idempotent. */
const ENDINGS: Record<OrderEnding, (orderId: string, reason: string) => [OrderCommand, string]> = {
  rejected: (orderId, reason) => [{ type: 'RejectOrder', data: { orderId, reason } }, `order/${orderId}/exchange-reject`],
  canceled: (orderId) => [{ type: 'ConfirmCancel', data: { orderId } }, `order/${orderId}/canceled`],
  expired: (orderId) => [{ type: 'ExpireOrder', data: { orderId } }, `order/${orderId}/expired`],
  failed: (orderId, reason) => [{ type: 'FailOrder', data: { orderId, reason } }, `order/${orderId}/failed`],
};

/** The small steps every exchange workflow is made of; each is idempotent. */
export function orderSteps(deps: OrderStepDependencies) {
  const { commands } = deps;
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

  /**
   * Kept once per report (its id derives from the report alone), whoever sees it again and
   * whatever the order has become meanwhile.
   */
  async function recordAnomaly(anomaly: Anomaly): Promise<void> {
    deps.onAnomaly?.(anomaly);
    const id = deterministicId(`anomaly/${JSON.stringify(anomaly.report)}`);
    await deps.store.append(ANOMALY_STREAM, [{ id, type: 'ExchangeReportAnomalous', data: anomaly, metadata: { correlationId: id, causationId: id, principal: deps.principal } }], 'any');
  }

  /** The hold is released, every fill the order recorded settled first (as the order stands now). */
  async function release(order: ExistingOrder, cause: string): Promise<void> {
    const latest = (await loadOrder(order.orderId)) ?? order;
    const { refused } = await settleFillsAndRelease(commands, latest, context(cause));
    for (const { executionId, error } of refused) {
      await recordAnomaly({ kind: 'settlement_refused', orderId: order.orderId, detail: error.message, report: { executionId, ...latest.executions[executionId] } });
    }
  }

  return {
    context,
    loadOrder,
    release,

    /** Releases the hold of an order that has ended, if one is left (a crash between the two streams). */
    async releaseIfHeld(order: ExistingOrder, cause: string): Promise<boolean> {
      if (!isTerminal(order.status)) return false;
      const account = await commands.load(accountDecider, accountStreamId(order.accountId));
      if (!account.state.holds[order.orderId]) return false;
      await release(order, cause);
      return true;
    },

    /** The order ends (if it has not already) and its hold is released. */
    async end(order: ExistingOrder, ending: OrderEnding, reason: string, cause: string): Promise<void> {
      const [command, key] = ENDINGS[ending](order.orderId, reason);
      await commands.handle(orderDecider, orderStreamId(order.orderId), command, context(cause), key);
      await release(order, cause);
    },

    async recordSubmission(order: ExistingOrder, externalOrderId: string, cause: string): Promise<ExistingOrder> {
      const outcome = await commands.handle(orderDecider, orderStreamId(order.orderId), { type: 'RecordSubmission', data: { orderId: order.orderId, externalOrderId } }, context(cause), `order/${order.orderId}/submitted`);
      return outcome.state as ExistingOrder;
    },

    recordAnomaly,
  };
}

export type OrderSteps = ReturnType<typeof orderSteps>;
