import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SequencedReport } from './execution-feed.ts';
import type { ExchangeOrder } from './matching-engine.ts';

/** An order as the journal keeps it: what was asked and how the exchange took it, without its fills. */
export type JournaledOrder = Omit<ExchangeOrder, 'executions' | 'filledQty'>;

/** `injected`: put on the feed by a drill (`POST /admin/reports`), not by the book: no order's truth. */
type Entry = { readonly t: 'order'; readonly session: string; readonly order: JournaledOrder } | { readonly t: 'report'; readonly report: SequencedReport; readonly injected?: true };

export interface JournalContents {
  /** Every earlier session's feed log, oldest first. */
  readonly sessions: Array<{ readonly session: string; readonly log: SequencedReport[] }>;
  /** The latest record of every order (fills are in the feed's reports). */
  readonly orders: JournaledOrder[];
  /** The reports the book made (not those a drill injected), in order: every order's fills and end. */
  readonly bookReports: SequencedReport[];
}

/**
 * The simulated exchange's memory across restarts, when it is given a directory: every order it
 * took and every report it sent, one JSON line each, written before the report leaves (a real
 * venue keeps its trades whatever happens to its matching process). Reading it back gives the
 * earlier sessions' feeds and orders; the open book is not kept — a restart cancels it.
 */
export class ExchangeJournal {
  private readonly file: string;

  constructor(directory: string) {
    mkdirSync(directory, { recursive: true });
    this.file = join(directory, 'journal.jsonl');
  }

  read(): JournalContents {
    const sessions = new Map<string, SequencedReport[]>();
    const orders = new Map<string, JournaledOrder>();
    const bookReports: SequencedReport[] = [];
    if (!existsSync(this.file)) return { sessions: [], orders: [], bookReports };
    for (const line of readFileSync(this.file, 'utf8').split('\n')) {
      if (line === '') continue;
      let entry: Entry;
      try {
        entry = JSON.parse(line) as Entry;
      } catch {
        // A line a crash cut short: what it held never left the exchange.
        continue;
      }
      const session = entry.t === 'order' ? entry.session : entry.report.session;
      if (!sessions.has(session)) sessions.set(session, []);
      if (entry.t === 'order') orders.set(entry.order.externalOrderId, entry.order);
      else {
        sessions.get(session)!.push(entry.report);
        if (!entry.injected) bookReports.push(entry.report);
      }
    }
    return { sessions: [...sessions].map(([session, log]) => ({ session, log })), orders: [...orders.values()], bookReports };
  }

  order(session: string, order: ExchangeOrder): void {
    const { executions: _executions, filledQty: _filledQty, ...kept } = order;
    this.write({ t: 'order', session, order: kept });
  }

  report(report: SequencedReport, injected = false): void {
    this.write(injected ? { t: 'report', report, injected } : { t: 'report', report });
  }

  private write(entry: Entry): void {
    appendFileSync(this.file, `${JSON.stringify(entry)}\n`);
  }
}
