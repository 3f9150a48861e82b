import { Presets, SingleBar } from 'cli-progress';
import type { EventStore } from '../../application/event-store/event-store.ts';
import { ALL_PROJECTIONS } from '../../projections/all-projections.ts';
import type { RowProjection } from '../../projections/row-projection.ts';
import type { Config } from '../config/config.ts';
import { compose, type Composition } from '../composition/container.ts';
import { TOKENS } from '../composition/tokens.ts';
import { PostgresSqlClient } from '../persistence/postgres-client.ts';
import { rebuildProjection } from '../projections/rebuild-projection.ts';

/**
 * What the read-model commands (`trading-core rebuild`, and `rebuild` / `verify` of the replay
 * tool) share: choosing projections, refusing PGlite, the owner's connection to the
 * application's database, and a progress bar per projection.
 */

/** Exit status for a bad argument or an unusable store. */
export const EXIT_USAGE = 2;

export class CommandRefusal extends Error {
  constructor(
    message: string,
    readonly exitCode = EXIT_USAGE,
  ) {
    super(message);
    this.name = 'CommandRefusal';
  }
}

export function projectionsNamed(name: string): readonly RowProjection[] {
  const projections = name === 'all' ? ALL_PROJECTIONS : ALL_PROJECTIONS.filter((projection) => projection.name === name);
  if (projections.length === 0) throw new CommandRefusal(`no projection "${name}"; choose one of ${ALL_PROJECTIONS.map((p) => p.name).join(', ')} or all`);
  return projections;
}

export interface OwnerSession {
  readonly composition: Composition;
  readonly store: EventStore;
  /** The tables' owner (DATABASE_ADMIN_URL) on the application's database. */
  readonly db: PostgresSqlClient;
  /** The application's role, to grant rebuilt tables to. */
  readonly appRole: string;
  close(): Promise<void>;
}

/** Opens the configured event store and an owner's connection to the read models' database. */
export async function openOwnerSession(config: Config, processName: string): Promise<OwnerSession> {
  if (config.EVENT_STORE === 'pglite') throw new CommandRefusal(`${processName} runs against PostgreSQL read models (EVENT_STORE=postgres or eventstoredb)`);
  const composition = await compose(config, processName);
  const app = new URL(config.DATABASE_URL);
  const owner = new URL(config.DATABASE_ADMIN_URL);
  owner.pathname = app.pathname;
  const db = PostgresSqlClient.connect(owner.toString(), { max: 2, applicationName: `trading-core-${processName}` });
  return {
    composition,
    store: composition.container.resolve<EventStore>(TOKENS.EventStore),
    db,
    appRole: decodeURIComponent(app.username),
    async close() {
      await db.close();
      await composition.close();
    },
  };
}

/** A progress bar on stderr for folding the log into one projection (silent when stderr is no terminal). */
export function projectionProgressBar(verb: string, projection: RowProjection) {
  const bar = new SingleBar({ format: `${verb} ${projection.name.padEnd(22)} {bar} {value} events | position {position}`, hideCursor: true }, Presets.shades_classic);
  bar.start(0, 0, { position: '-' });
  return {
    update(events: number, position: bigint): void {
      bar.setTotal(events);
      bar.update(events, { position: position.toString() });
    },
    stop(): void {
      bar.stop();
    },
  };
}

/**
 * Rebuilds the named read model (or all) from position 0 into fresh tables and swaps them in,
 * or with `keep` leaves them beside the live ones; one line per projection on `out`.
 */
export async function rebuildCommand(config: Config, name: string, options: { keep?: boolean }, out: NodeJS.WritableStream = process.stdout): Promise<void> {
  const projections = projectionsNamed(name);
  const session = await openOwnerSession(config, 'rebuild');
  try {
    for (const projection of projections) {
      const bar = projectionProgressBar('rebuild', projection);
      const result = await rebuildProjection({
        store: session.store,
        db: session.db,
        projection,
        swap: !options.keep,
        grantTo: session.appRole,
        onProgress: (events, position) => bar.update(events, position),
      });
      bar.stop();
      out.write(`${projection.name}: ${result.events} events replayed into ${result.table} up to position ${result.position}${options.keep ? ' (kept beside the live table)' : ', swapped in'}\n`);
    }
  } finally {
    await session.close();
  }
}
