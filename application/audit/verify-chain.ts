import { ChainVerifier, type BrokenLink } from '../event-store/event-chain.ts';
import type { EventStore } from '../event-store/event-store.ts';

export interface ChainScope {
  /** One stream; or every stream whose id starts with `<category>-`; or, with neither, the whole log. */
  readonly streamId?: string;
  readonly category?: string;
}

export interface ChainReport {
  readonly checked: number;
  readonly brokenLink: BrokenLink | undefined;
}

const PAGE = 4_096;

/**
 * Checks the tamper-evident chain of a stream, a category or the whole log, reading in pages,
 * and stops at the first broken link, naming the event. The whole log is read in global order,
 * in which every stream's events come in revision order.
 */
export async function verifyChain(store: EventStore, scope: ChainScope, onProgress?: (checked: number, position: bigint) => void): Promise<ChainReport> {
  const verifier = new ChainVerifier();
  if (scope.streamId !== undefined) {
    let from = 0n;
    for (;;) {
      const events = await store.readStream(scope.streamId, { fromRevision: from, maxCount: PAGE });
      const broken = verifier.check(events);
      if (broken || events.length < PAGE) return { checked: verifier.checked, brokenLink: broken };
      from = events[events.length - 1]!.revision + 1n;
      onProgress?.(verifier.checked, events[events.length - 1]!.position);
    }
  }
  const prefix = scope.category === undefined ? undefined : `${scope.category}-`;
  let after: bigint | undefined;
  for (;;) {
    const events = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: PAGE });
    if (events.length === 0) return { checked: verifier.checked, brokenLink: undefined };
    const broken = verifier.check(prefix === undefined ? events : events.filter((event) => event.streamId.startsWith(prefix)));
    if (broken) return { checked: verifier.checked, brokenLink: broken };
    after = events[events.length - 1]!.position;
    onProgress?.(verifier.checked, after);
  }
}
