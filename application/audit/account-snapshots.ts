import { accountDecider, accountStreamId, type AccountEvent, type AccountState } from '../../domain/account/account.ts';
import type { EventStore } from '../event-store/event-store.ts';
import { withinCut, type Cut } from './instant.ts';

/**
 * Snapshots of the account fold: the decider's state after the first `revision + 1` events of
 * an account stream, so that a long account is rebuilt from the nearest snapshot instead of
 * from its first event. A snapshot is a cache of a replay, never a source of truth: it names
 * the last event it folded, and a snapshot whose event is not where it says is ignored.
 */
export interface AccountSnapshot {
  readonly accountId: string;
  /** Revision of the last event folded in. */
  readonly revision: bigint;
  /** Global position of that event. */
  readonly position: bigint;
  /** The latest `recordedAt` among the events folded in. */
  readonly recordedUntil: Date;
  readonly lastEventId: string;
  readonly state: AccountState;
}

export interface AccountSnapshotStore {
  /** The newest snapshot whose events all lie within the cut (any, without one). */
  latestWithin(accountId: string, cut?: Cut): Promise<AccountSnapshot | undefined>;
  /** Stores a snapshot; one already stored at that revision is replaced (both are the same replay). */
  save(snapshot: AccountSnapshot): Promise<void>;
}

/** A snapshot every this many account events, unless configured otherwise. */
export const DEFAULT_SNAPSHOT_EVERY = 5_000;

/** An account folded up to some event of its stream (revision -1n: none yet). */
export interface AccountFold {
  readonly state: AccountState;
  readonly revision: bigint;
  readonly position: bigint | undefined;
  readonly recordedUntil: Date | undefined;
  readonly lastEventId: string | undefined;
}

export const EMPTY_ACCOUNT_FOLD: AccountFold = {
  state: accountDecider.initialState,
  revision: -1n,
  position: undefined,
  recordedUntil: undefined,
  lastEventId: undefined,
};

export function foldOfSnapshot(snapshot: AccountSnapshot): AccountFold {
  return { state: snapshot.state, revision: snapshot.revision, position: snapshot.position, recordedUntil: snapshot.recordedUntil, lastEventId: snapshot.lastEventId };
}

export function snapshotOfFold(accountId: string, fold: AccountFold): AccountSnapshot {
  if (fold.revision < 0n) throw new Error('an empty account has no snapshot');
  return { accountId, revision: fold.revision, position: fold.position!, recordedUntil: fold.recordedUntil!, lastEventId: fold.lastEventId!, state: fold.state };
}

export interface FoldedAccount {
  readonly fold: AccountFold;
  /** Events read and folded by this call. */
  readonly events: number;
  /** The starting fold did not match the stream (its last event is not there): folded from zero instead. */
  readonly startRejected: boolean;
}

export interface FoldAccountOptions {
  /** Stop at the first event past the cut; without one, fold to the end of the stream. */
  readonly cut?: Cut;
  readonly pageSize?: number;
  /** Sees the fold after every event (snapshots at boundaries). */
  readonly onFolded?: (fold: AccountFold) => void;
}

/**
 * Folds an account stream onward from `start` (a snapshot or nothing), reading it page by page.
 * A start that names an event is checked against the stream first; should it not match, the
 * account is folded from its first event.
 */
export async function foldAccountStream(store: EventStore, accountId: string, start: AccountFold, options: FoldAccountOptions = {}): Promise<FoldedAccount> {
  const stream = accountStreamId(accountId);
  const pageSize = options.pageSize ?? 1_000;
  let fold = start;
  let events = 0;
  // A start with an event re-reads that event, to check it is where the snapshot says.
  let from = start.revision < 0n ? 0n : start.revision;
  for (let first = true; ; first = false) {
    const page = await store.readStream(stream, { fromRevision: from, maxCount: pageSize });
    let index = 0;
    if (first && start.revision >= 0n) {
      const anchor = page[0];
      if (!anchor || anchor.revision !== start.revision || anchor.id !== start.lastEventId) {
        const replay = await foldAccountStream(store, accountId, EMPTY_ACCOUNT_FOLD, options);
        return { ...replay, startRejected: true };
      }
      index = 1;
    }
    for (; index < page.length; index += 1) {
      const event = page[index]!;
      if (options.cut && !withinCut(event, options.cut)) return { fold, events, startRejected: false };
      const recordedUntil = fold.recordedUntil && fold.recordedUntil > event.recordedAt ? fold.recordedUntil : event.recordedAt;
      fold = {
        state: accountDecider.evolve(fold.state, { type: event.type, data: event.data } as AccountEvent),
        revision: event.revision,
        position: event.position,
        recordedUntil,
        lastEventId: event.id,
      };
      events += 1;
      options.onFolded?.(fold);
    }
    if (page.length < pageSize) return { fold, events, startRejected: false };
    from = page[page.length - 1]!.revision + 1n;
  }
}

/** True when a snapshot boundary lies after `from` and at or before `to` (revisions). */
export function crossesBoundary(from: bigint, to: bigint, every: number): boolean {
  const size = BigInt(every);
  return (to + 1n) / size > (from + 1n) / size;
}

export interface AccountSnapshotterDependencies {
  readonly store: EventStore;
  readonly snapshots: AccountSnapshotStore;
  /** A snapshot after every this many events of an account. */
  readonly every: number;
}

/**
 * Brings an account's snapshots up to its stream: folds onward from the newest snapshot and
 * stores one at every boundary it passes. Returns how many it stored. Idempotent, so any number
 * of processes may run it for the same account.
 */
export function accountSnapshotter({ store, snapshots, every }: AccountSnapshotterDependencies) {
  const size = BigInt(every);
  return async (accountId: string): Promise<number> => {
    const latest = await snapshots.latestWithin(accountId);
    const due: AccountFold[] = [];
    await foldAccountStream(store, accountId, latest ? foldOfSnapshot(latest) : EMPTY_ACCOUNT_FOLD, {
      pageSize: 2_000,
      onFolded: (fold) => {
        if ((fold.revision + 1n) % size === 0n) due.push(fold);
      },
    });
    // After a snapshot that did not match, the fold started from zero: every boundary is rewritten.
    for (const fold of due) await snapshots.save(snapshotOfFold(accountId, fold));
    return due.length;
  };
}
