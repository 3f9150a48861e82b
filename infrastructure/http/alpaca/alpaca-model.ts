import type { AccountView } from '../../../application/accounts/account-view.ts';
import type { Quote } from '../../../application/market/market-data.ts';
import type { OrderView } from '../../../application/orders/order-view.ts';
import type { ActivityView, PositionView } from '../../../application/read-models/queries.ts';
import type { OrderStatus } from '../../../domain/order/order.ts';
import { deterministicId } from '../../../application/shared/deterministic-ids.ts';
import { centsToDecimal, ratioToDecimal } from './alpaca-decimal.ts';

/**
 * Our read models in Alpaca's trading-API shapes (docs/alpaca-compatibility.md): snake_case
 * names, decimal strings for money and quantities, Alpaca's status names. Pure functions.
 */

/** Alpaca's name for each of our order statuses. */
export const ALPACA_ORDER_STATUS: Readonly<Record<OrderStatus, string>> = {
  pending: 'pending_new',
  submitted: 'new',
  partially_filled: 'partially_filled',
  filled: 'filled',
  pending_cancel: 'pending_cancel',
  canceled: 'canceled',
  rejected: 'rejected',
  failed: 'rejected',
  expired: 'expired',
};

/** A symbol's asset id: the same UUID on every instance, every day. */
export const assetId = (symbol: string): string => deterministicId(`asset/us_equity/${symbol}`);

const when = (order: OrderView, status: OrderStatus) => (order.status === status ? order.updatedAt : null);

export function alpacaOrder(order: OrderView) {
  return {
    id: order.id,
    client_order_id: order.clientOrderId,
    created_at: order.createdAt,
    updated_at: order.updatedAt,
    submitted_at: order.createdAt,
    filled_at: when(order, 'filled'),
    expired_at: when(order, 'expired'),
    canceled_at: when(order, 'canceled'),
    failed_at: when(order, 'failed'),
    replaced_at: null,
    replaced_by: null,
    replaces: null,
    asset_id: assetId(order.symbol),
    symbol: order.symbol,
    asset_class: 'us_equity',
    notional: null,
    qty: String(order.qty),
    filled_qty: String(order.filledQty),
    filled_avg_price: order.avgFillPriceCents === null ? null : centsToDecimal(order.avgFillPriceCents),
    order_class: '',
    order_type: order.type,
    type: order.type,
    side: order.side,
    position_intent: order.side === 'buy' ? 'buy_to_open' : 'sell_to_close',
    time_in_force: order.timeInForce,
    limit_price: order.limitPriceCents === null ? null : centsToDecimal(order.limitPriceCents),
    stop_price: null,
    status: ALPACA_ORDER_STATUS[order.status],
    extended_hours: false,
    legs: null,
    trail_percent: null,
    trail_price: null,
    hwm: null,
    expires_at: null,
  };
}

export type AlpacaOrder = ReturnType<typeof alpacaOrder>;

/** A position with its live quote (undefined when none is known: priced at cost). */
export interface QuotedPosition {
  readonly position: PositionView;
  readonly quote: Quote | undefined;
}

const marketPriceOf = ({ position, quote }: QuotedPosition): number => quote?.priceCents ?? position.avgCostCents;
const openPriceOf = (quoted: QuotedPosition): number => quoted.quote?.openCents ?? marketPriceOf(quoted);

export function alpacaPosition(quoted: QuotedPosition) {
  const { position } = quoted;
  const price = marketPriceOf(quoted);
  const open = openPriceOf(quoted);
  const marketValue = price * position.qty;
  const unrealized = marketValue - position.costBasisCents;
  const intraday = (price - open) * position.qty;
  return {
    asset_id: assetId(position.symbol),
    symbol: position.symbol,
    exchange: 'NASDAQ',
    asset_class: 'us_equity',
    asset_marginable: false,
    avg_entry_price: centsToDecimal(position.avgCostCents),
    qty: String(position.qty),
    qty_available: String(position.qty - position.reservedQty),
    side: 'long',
    market_value: centsToDecimal(marketValue),
    cost_basis: centsToDecimal(position.costBasisCents),
    unrealized_pl: centsToDecimal(unrealized),
    unrealized_plpc: ratioToDecimal(unrealized, position.costBasisCents),
    unrealized_intraday_pl: centsToDecimal(intraday),
    unrealized_intraday_plpc: ratioToDecimal(intraday, open * position.qty),
    current_price: centsToDecimal(price),
    lastday_price: centsToDecimal(open),
    change_today: ratioToDecimal(price - open, open),
  };
}

/** The account with its positions priced: equity is cash plus the long market value. */
export function alpacaAccount(account: AccountView, positions: readonly QuotedPosition[], createdAt: string | null) {
  const longMarketValue = positions.reduce((sum, quoted) => sum + marketPriceOf(quoted) * quoted.position.qty, 0);
  const openMarketValue = positions.reduce((sum, quoted) => sum + openPriceOf(quoted) * quoted.position.qty, 0);
  const cash = centsToDecimal(account.cashCents);
  const buyingPower = centsToDecimal(account.buyingPowerCents);
  const equity = centsToDecimal(account.cashCents + longMarketValue);
  return {
    id: account.accountId,
    account_number: `TC${account.accountId.replace(/-/g, '').slice(0, 10).toUpperCase()}`,
    status: 'ACTIVE',
    crypto_status: 'INACTIVE',
    currency: 'USD',
    cash,
    buying_power: buyingPower,
    regt_buying_power: buyingPower,
    daytrading_buying_power: '0',
    effective_buying_power: buyingPower,
    non_marginable_buying_power: buyingPower,
    options_buying_power: '0',
    bod_dtbp: '0',
    equity,
    last_equity: centsToDecimal(account.cashCents + openMarketValue),
    portfolio_value: equity,
    long_market_value: centsToDecimal(longMarketValue),
    short_market_value: '0',
    position_market_value: centsToDecimal(longMarketValue),
    initial_margin: '0',
    maintenance_margin: '0',
    last_maintenance_margin: '0',
    sma: '0',
    multiplier: '1',
    accrued_fees: '0',
    pending_transfer_in: '0',
    pending_transfer_out: '0',
    daytrade_count: 0,
    pattern_day_trader: false,
    shorting_enabled: false,
    trading_blocked: false,
    transfers_blocked: false,
    account_blocked: false,
    trade_suspended_by_user: false,
    options_approved_level: 0,
    options_trading_level: 0,
    created_at: createdAt,
  };
}

export function alpacaAsset(symbol: { symbol: string; name: string }) {
  return {
    id: assetId(symbol.symbol),
    class: 'us_equity',
    exchange: 'NASDAQ',
    symbol: symbol.symbol,
    name: symbol.name,
    status: 'active',
    tradable: true,
    marginable: false,
    maintenance_margin_requirement: 100,
    margin_requirement_long: '100',
    margin_requirement_short: '100',
    shortable: false,
    easy_to_borrow: false,
    fractionable: false,
    attributes: [],
  };
}

/** `yyyymmddHHMMSSmmm::<uuid>`, as Alpaca writes activity ids (and takes them back as page tokens). */
export function activityId(activity: Pick<ActivityView, 'id' | 'occurredAt'>): string {
  return `${activity.occurredAt.replace(/[-:T.Z]/g, '').slice(0, 17)}::${activity.id}`;
}

export const ALPACA_ACTIVITY_TYPE: Readonly<Record<ActivityView['activityType'], string>> = { deposit: 'CSD', withdrawal: 'CSW', fill: 'FILL' };

/** A fill with what the order had filled by then, for FILL activities. */
export interface FillProgress {
  readonly cumQty: number;
  readonly orderQty: number;
}

export function alpacaActivity(activity: ActivityView, fill: FillProgress | undefined) {
  if (activity.activityType === 'fill') {
    const cumQty = fill?.cumQty ?? activity.qty ?? 0;
    const leaves = fill ? fill.orderQty - fill.cumQty : 0;
    return {
      id: activityId(activity),
      activity_type: 'FILL',
      transaction_time: activity.occurredAt,
      type: leaves > 0 ? 'partial_fill' : 'fill',
      price: centsToDecimal(activity.priceCents ?? 0),
      qty: String(activity.qty ?? 0),
      side: activity.side,
      symbol: activity.symbol,
      leaves_qty: String(leaves),
      order_id: activity.orderId,
      cum_qty: String(cumQty),
      order_status: leaves > 0 ? 'partially_filled' : 'filled',
    };
  }
  return {
    id: activityId(activity),
    activity_type: ALPACA_ACTIVITY_TYPE[activity.activityType],
    date: activity.occurredAt.slice(0, 10),
    net_amount: centsToDecimal(activity.netAmountCents),
    description: activity.activityType === 'deposit' ? 'cash deposit' : 'cash withdrawal',
    status: 'executed',
  };
}
