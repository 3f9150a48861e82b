import type { ExpectedRevision } from '../../../application/event-store/event-store.ts';

/** Where one event id of an append already stands in the log, as far as the id index knows. */
export type Standing =
  | { readonly where: 'here'; readonly revision: bigint; readonly position: bigint }
  | { readonly where: 'elsewhere' }
  | undefined;

export type AppendDecision =
  | { readonly kind: 'write' }
  | { readonly kind: 'already_written'; readonly revision: bigint; readonly position: bigint }
  | { readonly kind: 'conflict' }
  | { readonly kind: 'refused' };

const WRITE: AppendDecision = { kind: 'write' };
const CONFLICT: AppendDecision = { kind: 'conflict' };
const REFUSED: AppendDecision = { kind: 'refused' };

/**
 * What an append does, given the stream's last revision and where its ids already stand
 * (docs/adr/0016-event-store-idempotency-semantics.md; the SQL stores decide the same in
 * `append_to_locked_stream` and `AppendBatcher.resolveReusedIds`). The expectation is judged
 * first: when it fails, only the same events standing at the place it named succeed again.
 * When it holds, ids standing in this stream are a retry (`any`, `stream_exists`: the whole
 * batch, in order, anywhere) or a conflict; ids standing only in other streams are refused.
 */
export function decideAppend(expected: ExpectedRevision, actual: bigint | 'no_stream', standing: readonly Standing[]): AppendDecision {
  const met =
    expected === 'any' ||
    (expected === 'no_stream' ? actual === 'no_stream' : expected === 'stream_exists' ? actual !== 'no_stream' : actual === expected);
  if (!met) {
    const place = expected === 'no_stream' ? 0n : typeof expected === 'bigint' ? expected + 1n : undefined;
    return (place === undefined ? undefined : standingRunFrom(standing, place)) ?? CONFLICT;
  }
  if (standing.every((found) => found === undefined)) return WRITE;
  if (standing.some((found) => found?.where === 'here')) {
    const first = standing[0];
    const anywhere = expected === 'any' || expected === 'stream_exists';
    return (anywhere && first?.where === 'here' ? standingRunFrom(standing, first.revision) : undefined) ?? CONFLICT;
  }
  return REFUSED;
}

/** The append's events, all standing in this stream in order from `revision` on, as an answer. */
function standingRunFrom(standing: readonly Standing[], revision: bigint): AppendDecision | undefined {
  let last: Standing = undefined;
  for (const [index, found] of standing.entries()) {
    if (found?.where !== 'here' || found.revision !== revision + BigInt(index)) return undefined;
    last = found;
  }
  return last?.where === 'here' ? { kind: 'already_written', revision: last.revision, position: last.position } : undefined;
}
