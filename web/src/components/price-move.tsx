import type { Direction } from '../live/quote-book.ts';

const ARROWS: Record<Direction, string> = { up: '▲', down: '▼', unchanged: '■' };
const WORDS: Record<Direction, string> = { up: 'up', down: 'down', unchanged: 'unchanged' };

/** Which way a price moved: an arrow and a word (for screen readers), with colour only as a repeat. */
export function PriceMove({ direction }: { direction: Direction }) {
  return (
    <span class={`move move-${direction}`}>
      <span aria-hidden="true">{ARROWS[direction]}</span>
      <span class="sr-only">{WORDS[direction]}</span>
    </span>
  );
}

/** A signed amount's direction, for P/L. */
export const directionOf = (value: number): Direction => (value > 0 ? 'up' : value < 0 ? 'down' : 'unchanged');
