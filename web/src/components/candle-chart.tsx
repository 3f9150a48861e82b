import { CandlestickSeries, createChart, type CandlestickData, type UTCTimestamp } from 'lightweight-charts';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Candle, CandleInterval } from '../api/contract.ts';
import type { LiveQuote } from '../live/quote-book.ts';
import { formatCents } from '../money/cents.ts';
import type { TradingSession } from '../session/trading-session.ts';
import { messageOf } from '../api/http-client.ts';

type Bar = CandlestickData<UTCTimestamp>;

const INTERVALS: ReadonlyArray<{ value: CandleInterval; label: string; ms: number; words: string }> = [
  { value: '1m', label: '1 m', ms: 60_000, words: 'one-minute' },
  { value: '1d', label: '1 d', ms: 86_400_000, words: 'daily' },
];

const toBar = (candle: Candle): Bar => ({ time: (Date.parse(candle.t) / 1000) as UTCTimestamp, open: candle.o, high: candle.h, low: candle.l, close: candle.c });

/** The candle a quote falls in: buckets start at whole minutes / days UTC, as the candles consumer cuts them. */
function withQuote(last: Bar | undefined, quote: LiveQuote, intervalMs: number): Bar | undefined {
  const time = ((Math.floor(Date.parse(quote.ts) / intervalMs) * intervalMs) / 1000) as UTCTimestamp;
  const price = quote.priceCents;
  if (last && time < last.time) return undefined;
  if (last && time === last.time) return { time, open: last.open, high: Math.max(last.high, price), low: Math.min(last.low, price), close: price };
  return { time, open: price, high: price, low: price, close: price };
}

const priceText = (cents: number) => formatCents(Math.round(cents));

interface Summary {
  readonly count: number;
  readonly updates: number;
  readonly last: Bar | undefined;
}

/**
 * Candles from `GET /v1/symbols/:symbol/candles` (lightweight-charts), prices in cents shown as
 * dollars, the newest candle moved by every live quote. A caption says the last candle in words.
 */
export function CandleChart({ session, symbol }: { session: TradingSession; symbol: string }) {
  const [interval, chooseInterval] = useState<CandleInterval>('1m');
  const host = useRef<HTMLDivElement>(null);
  const [summary, setSummary] = useState<Summary>({ count: 0, updates: 0, last: undefined });
  const [error, setError] = useState('');
  const spec = INTERVALS.find((option) => option.value === interval)!;

  useEffect(() => {
    const chart = createChart(host.current!, {
      autoSize: true,
      layout: { background: { color: '#ffffff' }, textColor: '#1f2933', fontFamily: 'inherit' },
      grid: { vertLines: { color: '#eef1f4' }, horzLines: { color: '#eef1f4' } },
      // A young market has few candles: wide bars with room on the right, rather than slivers at the edge.
      timeScale: { timeVisible: interval === '1m', secondsVisible: false, barSpacing: 14, minBarSpacing: 4, rightOffset: 6 },
      localization: { priceFormatter: priceText, locale: 'en-US' },
    });
    const series = chart.addSeries(CandlestickSeries, {
      upColor: '#0a7d32',
      downColor: '#b3261e',
      borderUpColor: '#0a7d32',
      borderDownColor: '#b3261e',
      wickUpColor: '#0a7d32',
      wickDownColor: '#b3261e',
      priceFormat: { type: 'custom', formatter: priceText, minMove: 1 },
    });
    // The chart keeps the bars; this only needs the newest one and how many there are.
    let last: Bar | undefined;
    let count = 0;
    let updates = 0;
    let loaded = false;
    const early: LiveQuote[] = [];
    const apply = (quote: LiveQuote) => {
      const bar = withQuote(last, quote, spec.ms);
      if (!bar) return;
      series.update(bar);
      if (last?.time !== bar.time) count += 1;
      last = bar;
      updates += 1;
      setSummary({ count, updates, last: bar });
    };
    const unsubscribe = session.feed.quotes.subscribe(symbol, (quote) => {
      if (!quote) return;
      if (loaded) apply(quote);
      else early.push(quote);
    });
    setSummary({ count: 0, updates: 0, last: undefined });
    setError('');
    session.http
      .get<{ candles: Candle[] }>(`/v1/symbols/${encodeURIComponent(symbol)}/candles?interval=${interval}&limit=500`)
      .then(({ candles }) => {
        if (!loaded) {
          const bars = candles.map(toBar);
          series.setData(bars);
          last = bars.at(-1);
          count = bars.length;
          loaded = true;
          setSummary({ count, updates, last });
          early.splice(0).forEach(apply);
        }
      })
      .catch((failure: unknown) => setError(messageOf(failure)));
    return () => {
      loaded = true; // nothing more is applied to a chart that is gone
      unsubscribe();
      chart.remove();
    };
  }, [session, symbol, interval, spec.ms]);

  const { last } = summary;
  return (
    <figure class="chart" aria-labelledby="chart-caption" data-interval={interval} data-candles={summary.count} data-updates={summary.updates} data-last-close={last?.close ?? ''}>
      <div class="chart-toolbar">
        <div role="group" aria-label="Candle interval" class="segmented">
          {INTERVALS.map((option) => (
            <button key={option.value} type="button" aria-pressed={interval === option.value ? 'true' : 'false'} onClick={() => chooseInterval(option.value)}>
              {option.label}
            </button>
          ))}
        </div>
        <span class="muted">{summary.count === 1 ? '1 candle' : `${summary.count} candles`}</span>
      </div>
      <div class="chart-canvas" ref={host} role="img" aria-label={`${symbol} ${spec.words} candle chart`} />
      <figcaption id="chart-caption">
        {error ? (
          <span class="field-error">Candles could not be read: {error}</span>
        ) : last ? (
          <>
            {symbol} {spec.words} candles. Latest: open {priceText(last.open)}, high {priceText(last.high)}, low {priceText(last.low)}, close {priceText(last.close)}.
          </>
        ) : (
          <>{symbol} {spec.words} candles: none yet; the first one forms with the next trade.</>
        )}
      </figcaption>
    </figure>
  );
}
