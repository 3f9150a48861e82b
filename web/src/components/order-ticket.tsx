import { useRef, useState } from 'preact/hooks';
import type { OrderRequest } from '../api/contract.ts';
import { ApiFailure } from '../api/http-client.ts';
import { useQuote } from '../live/use-quotes.ts';
import { formatCents, parseDollars, timesQty } from '../money/cents.ts';
import { type TicketErrors, ticketErrors } from '../orders/order-errors.ts';
import { orderSummary, STATUS_TEXT } from '../orders/order-book.ts';
import { routeHref } from '../routing.ts';
import { useStore } from '../session/store.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { describedBy, Field } from './field.tsx';

type Side = OrderRequest['side'];
type OrderType = OrderRequest['type'];
type TimeInForce = OrderRequest['timeInForce'];

const TIME_IN_FORCE: ReadonlyArray<{ value: TimeInForce; label: string }> = [
  { value: 'day', label: 'Day — until the session ends' },
  { value: 'gtc', label: 'GTC — good till canceled' },
  { value: 'ioc', label: 'IOC — fill now what can be, cancel the rest' },
  { value: 'fok', label: 'FOK — fill it all now or not at all' },
];

const NO_ERRORS: TicketErrors = { fields: {} };

function RadioGroup<T extends string>({ name, legend, value, options, onChange, error }: { name: string; legend: string; value: T; options: ReadonlyArray<{ value: T; label: string }>; onChange: (value: T) => void; error: string | undefined }) {
  return (
    <fieldset class={`field radio-group${error ? ' field-invalid' : ''}`} aria-describedby={`ticket-${name}-error`}>
      <legend>{legend}</legend>
      {options.map((option) => (
        <label key={option.value} class="radio">
          <input type="radio" name={`ticket-${name}`} value={option.value} checked={value === option.value} onChange={() => onChange(option.value)} />
          {option.label}
        </label>
      ))}
      <p id={`ticket-${name}-error`} class="field-error" aria-live="polite">
        {error}
      </p>
    </fieldset>
  );
}

/**
 * Buy or sell, market or limit, quantity, limit price and time in force, with buying power and an
 * estimate beside them. The order goes to `POST /v1/orders` as typed: the contract judges it, and
 * each of its errors is shown at the field it concerns.
 */
export function OrderTicket({ session, symbol: viewed }: { session: TradingSession; symbol: string }) {
  const account = useStore(session.account);
  const positions = useStore(session.positions);
  const [symbol, setSymbol] = useState(viewed);
  const [side, setSide] = useState<Side>('buy');
  const [type, setType] = useState<OrderType>('market');
  const [qty, setQty] = useState('1');
  const [limitPrice, setLimitPrice] = useState('');
  const [timeInForce, setTimeInForce] = useState<TimeInForce>('day');
  const [errors, setErrors] = useState<TicketErrors>(NO_ERRORS);
  const [result, setResult] = useState('');
  const [busy, setBusy] = useState(false);
  /** How many answers the ticket has had (tests and tools wait on it: `data-answers`). */
  const [answers, setAnswers] = useState(0);
  // One clientOrderId per distinct order: a retry after a network failure reuses it, so it cannot place twice.
  const attempt = useRef<{ payload: string; clientOrderId: string } | undefined>(undefined);
  const quote = useQuote(session.feed.quotes, symbol);

  const limitCents = parseDollars(limitPrice);
  const qtyNumber = /^\d+$/.test(qty.trim()) ? Number(qty) : undefined;
  const unitCents = type === 'limit' ? limitCents : side === 'buy' ? quote?.askCents : quote?.bidCents;
  const estimate = unitCents !== undefined && qtyNumber !== undefined ? timesQty(unitCents, qtyNumber) : undefined;
  const held = positions?.find((position) => position.symbol === symbol);

  async function submit(event: Event) {
    event.preventDefault();
    setResult('');
    if (type === 'limit' && limitPrice.trim() !== '' && limitCents === undefined) {
      return setErrors({ fields: { limitPrice: 'Enter a price in dollars, such as 187.25 (at most two decimals).' } });
    }
    const order = {
      symbol: symbol.trim().toUpperCase(),
      side,
      type,
      qty: qty.trim() === '' ? null : Number(qty),
      ...(type === 'limit' && limitCents !== undefined ? { limitPriceCents: limitCents } : {}),
      timeInForce,
    };
    const payload = JSON.stringify(order);
    if (attempt.current?.payload !== payload) attempt.current = { payload, clientOrderId: `web-${crypto.randomUUID()}` };
    setBusy(true);
    try {
      const placed = await session.placeOrder({ ...order, clientOrderId: attempt.current.clientOrderId });
      attempt.current = undefined;
      setErrors(NO_ERRORS);
      setResult(`Order placed: ${orderSummary(placed)} — ${STATUS_TEXT[placed.status]}.`);
    } catch (failure) {
      if (!(failure instanceof ApiFailure)) throw failure;
      if (failure.status !== 0) attempt.current = undefined;
      setErrors(ticketErrors(failure));
    } finally {
      setBusy(false);
      setAnswers((count) => count + 1);
    }
  }

  const field = errors.fields;
  return (
    <section class="panel ticket" aria-labelledby="ticket-title">
      <h2 id="ticket-title">Order ticket</h2>
      <form onSubmit={submit} noValidate aria-describedby="ticket-form-error" data-answers={answers}>
        <dl class="facts">
          <div>
            <dt>Buying power</dt>
            <dd data-testid="buying-power">{account ? formatCents(account.buyingPowerCents) : '—'}</dd>
          </div>
          <div>
            <dt>{symbol} held</dt>
            <dd>{held ? `${held.qty} (${held.qty - held.reservedQty} free to sell)` : '0'}</dd>
          </div>
        </dl>
        <Field id="ticket-symbol" label="Symbol" error={field.symbol}>
          <input {...describedBy('ticket-symbol', field.symbol)} name="symbol" autocomplete="off" spellcheck={false} value={symbol} onInput={(event) => setSymbol(event.currentTarget.value.toUpperCase())} />
        </Field>
        <RadioGroup name="side" legend="Side" value={side} onChange={setSide} error={field.side} options={[{ value: 'buy', label: 'Buy' }, { value: 'sell', label: 'Sell' }]} />
        <RadioGroup name="type" legend="Order type" value={type} onChange={setType} error={field.type} options={[{ value: 'market', label: 'Market' }, { value: 'limit', label: 'Limit' }]} />
        <Field id="ticket-qty" label="Quantity (shares)" error={field.qty}>
          <input {...describedBy('ticket-qty', field.qty)} name="qty" type="number" inputMode="numeric" min={1} step={1} value={qty} onInput={(event) => setQty(event.currentTarget.value)} />
        </Field>
        {type === 'limit' ? (
          <Field id="ticket-limit-price" label="Limit price ($)" error={field.limitPrice} hint="The most you pay (buy) or the least you take (sell), per share.">
            <input {...describedBy('ticket-limit-price', field.limitPrice, true)} name="limitPrice" inputMode="decimal" autocomplete="off" placeholder="e.g. 187.25" value={limitPrice} onInput={(event) => setLimitPrice(event.currentTarget.value)} />
          </Field>
        ) : null}
        <Field id="ticket-tif" label="Time in force" error={field.timeInForce}>
          <select {...describedBy('ticket-tif', field.timeInForce)} name="timeInForce" value={timeInForce} onChange={(event) => setTimeInForce(event.currentTarget.value as TimeInForce)}>
            {TIME_IN_FORCE.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </Field>
        <p class="estimate">
          {estimate === undefined
            ? 'Estimate: —'
            : `Estimate: ${formatCents(estimate)}${type === 'market' ? ` at the ${side === 'buy' ? 'ask' : 'bid'} now${side === 'buy' ? ' (a market buy holds a collar above it until it fills)' : ''}` : ''}`}
        </p>
        <p id="ticket-form-error" class="field-error form-error" role="alert">
          {errors.form}
        </p>
        <button type="submit" class={`primary side-${side}`} disabled={busy}>
          {busy ? 'Placing…' : `Place ${side} order`}
        </button>
        <p class="result" role="status">
          {result}
          {result ? (
            <>
              {' '}
              <a href={routeHref({ screen: 'orders' })}>See open orders</a>
            </>
          ) : null}
        </p>
      </form>
    </section>
  );
}
