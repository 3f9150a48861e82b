import { z } from 'zod';
import type { MinuteBar } from '../../../application/market/minute-bars.ts';
import { quoteOf, type Tick } from '../../../application/market/market-data.ts';
import { alpacaBar, alpacaQuote, alpacaTrade } from '../../http/alpaca/alpaca-market-data-model.ts';
import type { DataCodec } from './data-stream-codec.ts';

/** The stock data stream's feeds (`/v2/{feed}`): one feed here, under every name a client may use. */
export const DATA_FEEDS = ['iex', 'sip', 'delayed_sip', 'test'] as const;

/** The channels a subscription names; only the first three ever carry data here. */
export const DATA_CHANNELS = ['trades', 'quotes', 'bars', 'updatedBars', 'dailyBars', 'statuses', 'lulds', 'corrections', 'cancelErrors', 'imbalances'] as const;
export type DataChannel = (typeof DATA_CHANNELS)[number];
/** Always in a `subscription` message, as Alpaca sends them (the 3.x SDK reads each one). */
const ALWAYS_LISTED: readonly DataChannel[] = DATA_CHANNELS.filter((channel) => channel !== 'imbalances');

const symbols = z.array(z.string().min(1).max(21)).max(1_000);
const subscription = Object.fromEntries(DATA_CHANNELS.map((channel) => [channel, symbols.optional()])) as Record<DataChannel, z.ZodOptional<typeof symbols>>;

export const dataClientMessage = z.discriminatedUnion('action', [
  z.object({ action: z.literal('auth'), key: z.string().min(1).max(128), secret: z.string().min(1).max(512) }),
  z.object({ action: z.literal('subscribe'), ...subscription }),
  z.object({ action: z.literal('unsubscribe'), ...subscription }),
]);
export type DataClientMessage = z.infer<typeof dataClientMessage>;
export type SubscriptionChange = Extract<DataClientMessage, { action: 'subscribe' | 'unsubscribe' }>;

/** Alpaca's error codes and their texts (clients match on both). 429 is ours: the message budget. */
export const DATA_ERRORS = {
  400: 'invalid syntax',
  401: 'not authenticated',
  402: 'auth failed',
  403: 'already authenticated',
  404: 'auth timeout',
  405: 'symbol limit exceeded',
  407: 'slow client',
  429: 'too many messages',
  500: 'internal error',
} as const;
export type DataErrorCode = keyof typeof DATA_ERRORS;

export const control = {
  connected: { T: 'success', msg: 'connected' },
  authenticated: { T: 'success', msg: 'authenticated' },
  error: (code: DataErrorCode) => ({ T: 'error', code, msg: DATA_ERRORS[code] }),
  /** The whole cumulative subscription, every channel an array. */
  subscription(channels: ReadonlyMap<DataChannel, ReadonlySet<string>>) {
    const listed = Object.fromEntries(ALWAYS_LISTED.map((channel) => [channel, [...(channels.get(channel) ?? [])]]));
    const imbalances = channels.get('imbalances');
    return { T: 'subscription', ...listed, ...(imbalances && imbalances.size > 0 ? { imbalances: [...imbalances] } : {}) };
  },
};

/** `q`: the tick's bid and ask. */
export const quoteMessage = (tick: Tick) => (codec: DataCodec) => {
  const quote = quoteOf(tick);
  return { T: 'q', S: tick.symbol, ...alpacaQuote(quote), t: codec.timestamp(quote.ts) };
};

/** `t`: the tick's last price (its sequence number is the trade id). */
export const tradeMessage = (tick: Tick) => (codec: DataCodec) => {
  const quote = quoteOf(tick);
  return { T: 't', S: tick.symbol, ...alpacaTrade(quote), t: codec.timestamp(quote.ts) };
};

/** `b`: a minute bar that ended. */
export const barMessage = (bar: MinuteBar) => (codec: DataCodec) => {
  const shape = alpacaBar(bar);
  return { T: 'b', S: bar.symbol, ...shape, t: codec.timestamp(shape.t) };
};
