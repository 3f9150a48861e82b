import type { WebSocket } from 'ws';
import type { FeedHello } from '../../gateways/exchange/wire/feed-report.ts';
import type { FaultInjector } from './faults.ts';
import type { FeedReport } from './matching-engine.ts';

export type SequencedReport = FeedReport & { readonly session: string; readonly seq: number; readonly ts: string };

interface Client {
  readonly socket: WebSocket;
  held: SequencedReport | undefined;
}

/**
 * The execution feed: every report gets the next sequence number of its session (one run of the
 * exchange) and is kept, so a client that reconnects with `since=N&session=S` receives everything
 * after N, in order. Each session a connection is sent opens with a `hello` naming it: a client
 * behind in an earlier session (one a restarted exchange kept in its journal) gets the rest of
 * that one, then each later session from its start. A client naming a session the exchange does
 * not know is sent the current one from its start. Faults may duplicate, reorder or cut what a
 * connection receives — never what the log holds.
 */
export class ExecutionFeed {
  /** Every session's log, oldest first; the last is the current one. */
  private readonly sessions: Array<{ readonly session: string; readonly log: SequencedReport[] }>;
  private readonly clients = new Set<Client>();

  constructor(
    private readonly faults: FaultInjector,
    private readonly now: () => Date,
    readonly session = 'S0',
    earlier: ReadonlyArray<{ readonly session: string; readonly log: SequencedReport[] }> = [],
    private readonly onPublished: (report: SequencedReport, injected: boolean) => void = () => undefined,
  ) {
    this.sessions = [...earlier, { session, log: [] }];
  }

  get lastSeq(): number {
    return this.sessions.at(-1)!.log.length;
  }

  /** `injected`: a drill's report (`POST /admin/reports`), sent like any other. */
  publish(report: FeedReport, injected = false): void {
    const log = this.sessions.at(-1)!.log;
    const sequenced = { ...report, session: this.session, seq: log.length + 1, ts: this.now().toISOString() } as SequencedReport;
    log.push(sequenced);
    this.onPublished(sequenced, injected);
    for (const client of this.clients) this.deliver(client, sequenced);
  }

  /** `session`: the one the client's `since` counts in; absent, `since` is taken as the current session's. */
  attach(socket: WebSocket, since: number, session?: string): void {
    const client: Client = { socket, held: undefined };
    socket.on('close', () => this.clients.delete(client));
    const asked = session === undefined ? this.sessions.length - 1 : this.sessions.findIndex((entry) => entry.session === session);
    const first = asked < 0 ? this.sessions.length - 1 : asked;
    for (let index = first; index < this.sessions.length; index += 1) {
      const { session: name, log } = this.sessions[index]!;
      const hello: FeedHello = { type: 'hello', session: name, lastSeq: log.length };
      if (socket.readyState === socket.OPEN) socket.send(JSON.stringify(hello));
      for (const report of log.slice(index === first && asked >= 0 ? Math.max(0, since) : 0)) this.deliver(client, report);
    }
    // Live reports only once the client has everything before them (all of the above is one turn).
    this.clients.add(client);
  }

  private deliver(client: Client, report: SequencedReport): void {
    const send = (message: SequencedReport): void => {
      if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
    };
    if (!client.held && this.faults.fires('reorder')) {
      client.held = report;
      return;
    }
    send(report);
    if (report.type === 'execution' && this.faults.fires('duplicate')) send(report);
    if (client.held) {
      send(client.held);
      client.held = undefined;
    }
    if (this.faults.fires('drop')) client.socket.terminate();
  }
}
