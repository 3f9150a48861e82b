import { NO_STREAM, WrongExpectedVersionError, jsonEvent } from '@eventstore/db-client';
import type { Standing } from './append-decision.ts';
import type { EventStoreDbClient } from './eventstoredb-client.ts';
import { readStreamRecords, toRecordedEvent } from './eventstoredb-records.ts';

/** The id index's streams, one per event id; the adapter refuses appends to names like these. */
export const CLAIM_STREAM_PREFIX = 'event-id-';
/** `$`-typed, so readers of `$all` that hide system records hide claims too. */
const CLAIM_TYPE = '$event-id-claimed';

interface Claim {
  readonly stream: string;
  readonly revision: bigint;
}

/** What an id's claim stream held when read, and its revision for the next claim's expectation. */
export interface ClaimStream {
  readonly id: string;
  readonly revision: bigint | undefined;
  readonly claims: readonly Claim[];
}

/**
 * EventStoreDB's index of event ids, kept by the adapter: before events are appended, each id's
 * stream `event-id-<id>` gets a claim naming the stream and revision the event is about to take,
 * appended against the claim stream's revision as read, so two writers of one id meet there.
 * A claim is a hint, checked against the stream it names: one whose append lost its race points
 * at another event and counts for nothing, except that the id stays with that stream. The server
 * keeps no such index (its id check looks at a cache of recent writes, ADR 0016).
 */
export class EventIdClaims {
  constructor(private readonly client: EventStoreDbClient) {}

  async read(ids: readonly string[]): Promise<ClaimStream[]> {
    return Promise.all(
      ids.map(async (id) => {
        const records = await readStreamRecords(this.client, claimStreamOf(id));
        const last = records[records.length - 1]?.event;
        return { id, revision: last?.revision, claims: records.map((record) => parseClaim(id, record.event?.data)) };
      }),
    );
  }

  /**
   * Where each id stands: confirmed in `streamId` at a claimed revision up to `last` (the stream's
   * last revision, read before this call, so a claim beyond it is still in flight), or held by
   * another stream's claim.
   */
  async standing(streamId: string, last: bigint | undefined, claimStreams: readonly ClaimStream[]): Promise<Standing[]> {
    return Promise.all(
      claimStreams.map(async ({ id, claims }): Promise<Standing> => {
        if (claims.some((claim) => claim.stream !== streamId)) return { where: 'elsewhere' };
        for (const claim of claims) {
          if (last === undefined || claim.revision > last) continue;
          const [record] = await readStreamRecords(this.client, streamId, { fromRevision: claim.revision, maxCount: 1 });
          const event = record && toRecordedEvent(record);
          if (event?.id.toLowerCase() === id) return { where: 'here', revision: event.revision, position: event.position };
        }
        return undefined;
      }),
    );
  }

  /** Claims the ids for `streamId` from revision `first` on; false when another writer claimed one since it was read. */
  async claim(streamId: string, first: bigint, claimStreams: readonly ClaimStream[]): Promise<boolean> {
    const outcomes = await Promise.allSettled(
      claimStreams.map((claimStream, index) =>
        this.client.appendToStream(
          claimStreamOf(claimStream.id),
          [jsonEvent({ type: CLAIM_TYPE, data: { stream: streamId, revision: (first + BigInt(index)).toString() } })],
          { expectedRevision: claimStream.revision ?? NO_STREAM },
        ),
      ),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'rejected' && !(outcome.reason instanceof WrongExpectedVersionError)) throw outcome.reason;
    }
    return outcomes.every((outcome) => outcome.status === 'fulfilled');
  }
}

function claimStreamOf(id: string): string {
  return `${CLAIM_STREAM_PREFIX}${id}`;
}

function parseClaim(id: string, data: unknown): Claim {
  const { stream, revision } = (data ?? {}) as { stream?: unknown; revision?: unknown };
  if (typeof stream !== 'string' || typeof revision !== 'string' || !/^\d+$/.test(revision)) {
    throw new Error(`the claim stream of event id ${id} holds a record that is not a claim`);
  }
  return { stream, revision: BigInt(revision) };
}
