import type { FanoutLimits } from './stream-connection.ts';

/** What a connection's send buffer says at the end of a window. */
export type SlowConsumerStep = 'keep' | 'fall_behind' | 'catch_up' | 'close';

/**
 * The slow-consumer bounds every stream protocol of the fan-out shares: above the slow mark a
 * connection is behind; behind, it is closed past the hard mark or after `maxBehindMs`, and it
 * catches up once its buffer drains to a quarter of the slow mark.
 */
export function slowConsumerStep(
  buffered: number,
  behindSince: number | undefined,
  now: number,
  limits: Pick<FanoutLimits, 'slowBufferedBytes' | 'maxBufferedBytes' | 'maxBehindMs'>,
): SlowConsumerStep {
  if (behindSince === undefined) return buffered > limits.slowBufferedBytes ? 'fall_behind' : 'keep';
  if (buffered >= limits.maxBufferedBytes || now - behindSince > limits.maxBehindMs) return 'close';
  return buffered <= limits.slowBufferedBytes / 4 ? 'catch_up' : 'keep';
}
