import type { FeedState, LiveFeed } from '../live/live-feed.ts';
import { useStore } from '../session/store.ts';

function describe(state: FeedState): { label: string; detail: string } {
  switch (state.kind) {
    case 'connecting':
      return { label: 'Connecting', detail: 'to the price feed…' };
    case 'live':
      return { label: 'Live', detail: 'prices and order updates are streaming' };
    case 'reconnecting':
      return { label: 'Reconnecting', detail: `attempt ${state.attempt} in ${(state.delayMs / 1000).toFixed(1)} s${state.reason ? ` — ${state.reason}` : ''}; prices shown may be old` };
    case 'stopped':
      return { label: 'Feed stopped', detail: `${state.reason}; prices shown are old` };
  }
}

/** The price socket's state in words (with a symbol, never colour alone), announced when it changes. */
export function FeedStatus({ feed }: { feed: LiveFeed }) {
  const state = useStore(feed.state);
  const { label, detail } = describe(state);
  return (
    <p class={`feed-status feed-${state.kind}`} role="status" aria-live="polite" data-feed-state={state.kind}>
      <span class="feed-icon" aria-hidden="true">
        {state.kind === 'live' ? '●' : state.kind === 'stopped' ? '■' : '◌'}
      </span>{' '}
      <strong>{label}</strong> <span class="feed-detail">{detail}</span>
    </p>
  );
}
