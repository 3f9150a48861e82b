import { accountStreamId } from '../../domain/account/account.ts';
import type { EventStore, RecordedEvent } from '../event-store/event-store.ts';
import type { Instant } from './instant.ts';
import { accountStateAt, type AccountStateAt, type PointInTimeDependencies } from './point-in-time.ts';

export interface StreamEventsPage {
  /** In stream order. */
  readonly events: readonly RecordedEvent[];
  /** The revision to ask `from` for the next page, or null at the stream's end. */
  readonly nextFrom: bigint | null;
}

/** What auditors ask (api.md, Audit); undefined answers are unknown streams and accounts. */
export interface AuditQueries {
  streamEvents(streamId: string, page: { from: bigint; limit: number }): Promise<StreamEventsPage | undefined>;
  accountStateAt(accountId: string, instant: Instant): Promise<AccountStateAt | undefined>;
}

async function streamExists(store: EventStore, streamId: string): Promise<boolean> {
  return (await store.readStream(streamId, { direction: 'backwards', maxCount: 1 })).length > 0;
}

export function auditQueries(deps: PointInTimeDependencies): AuditQueries {
  const { store } = deps;
  const stateAt = accountStateAt(deps);
  return {
    async streamEvents(streamId, { from, limit }) {
      const read = await store.readStream(streamId, { fromRevision: from, maxCount: limit + 1 });
      if (read.length === 0 && !(await streamExists(store, streamId))) return undefined;
      return { events: read.slice(0, limit), nextFrom: read.length > limit ? read[limit]!.revision : null };
    },

    async accountStateAt(accountId, instant) {
      const answer = await stateAt(accountId, instant);
      // Nothing at that moment: an account that came later is empty then; one that never was is unknown.
      if (answer.account.version < 0 && answer.openOrders.length === 0 && !(await streamExists(store, accountStreamId(accountId)))) return undefined;
      return answer;
    },
  };
}
