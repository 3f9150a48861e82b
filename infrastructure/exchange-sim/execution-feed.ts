import type { WebSocket } from 'ws';
import type { FeedHello } from '../../gateways/exchange/wire/feed-report.ts';
import type { FaultInjector } from './faults.ts';
import type { FeedReport } from './matching-engine.ts';

export type SequencedReport = FeedReport & { readonly seq: number; readonly ts: string };

/**
 * The execution feed: every report gets the next sequence number and is kept, so a client that
 * reconnects with `since=N` receives everything after N, in order. Sequence numbers count within
 * one session (one run of the exchange): each connection first gets a `hello` naming it, and a
 * client that names another session is sent this session's feed from the start. Faults may
 * duplicate, reorder or cut what a connection receives — never what the log holds.
 */
export class ExecutionFeed {
  private readonly log: SequencedReport[] = [];
  private readonly clients = new Set<{ socket: WebSocket; held: SequencedReport | undefined }>();

  constructor(
    private readonly faults: FaultInjector,
    private readonly now: () => Date,
    readonly session = 'S0',
  ) {}

  get lastSeq(): number {
    return this.log.length;
  }

  publish(report: FeedReport): void {
    const sequenced = { ...report, seq: this.log.length + 1, ts: this.now().toISOString() } as SequencedReport;
    this.log.push(sequenced);
    for (const client of this.clients) this.deliver(client, sequenced);
  }

  /** `session`: the one the client's `since` counts in; absent, `since` is taken as this session's. */
  attach(socket: WebSocket, since: number, session?: string): void {
    const client = { socket, held: undefined as SequencedReport | undefined };
    this.clients.add(client);
    socket.on('close', () => this.clients.delete(client));
    const hello: FeedHello = { type: 'hello', session: this.session, lastSeq: this.lastSeq };
    socket.send(JSON.stringify(hello));
    const from = session === undefined || session === this.session ? Math.max(0, since) : 0;
    for (const report of this.log.slice(from)) this.deliver(client, report);
  }

  private deliver(client: { socket: WebSocket; held: SequencedReport | undefined }, report: SequencedReport): void {
    const { settings } = this.faults;
    const send = (message: SequencedReport): void => {
      if (client.socket.readyState === client.socket.OPEN) client.socket.send(JSON.stringify(message));
    };
    if (!client.held && this.faults.chance(settings.reorderRate)) {
      client.held = report;
      return;
    }
    send(report);
    if (report.type === 'execution' && this.faults.chance(settings.duplicateRate)) send(report);
    if (client.held) {
      send(client.held);
      client.held = undefined;
    }
    if (this.faults.chance(settings.dropRate)) client.socket.terminate();
  }
}
