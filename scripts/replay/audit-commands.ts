import { createWriteStream } from 'node:fs';
import { Presets, SingleBar } from 'cli-progress';
import { Option, type Command } from 'commander';
import { ORDER_LIFECYCLE_FIELDS, OrderLifecycleExport, toCsv, type OrderLifecycleRecord } from '../../application/audit/order-lifecycle-export.ts';
import { verifyChain } from '../../application/audit/verify-chain.ts';
import type { EventStore } from '../../application/event-store/event-store.ts';

/** Opens the configured event store for one command and closes it after. */
export type StoreOpener = () => Promise<{ store: EventStore; close(): Promise<void> }>;

function progressBar(label: string): SingleBar {
  return new SingleBar({ format: `${label} {bar} {value} events | position {position}`, hideCursor: true, stream: process.stderr }, Presets.shades_classic);
}

/** `chain-verify` and `cat-export`: the tamper-evidence check and the order-lifecycle report. */
export function registerAuditCommands(program: Command, open: StoreOpener): void {
  program
    .command('chain-verify')
    .description('check the hash chain of a stream, a category or the whole log; exit 1 naming the first broken link')
    .option('--stream <id>', 'one stream')
    .option('--category <name>', 'every stream whose id starts with <name>- (e.g. order, account)')
    .action(async (options: { stream?: string; category?: string }) => {
      const { store, close } = await open();
      const bar = progressBar('chain-verify');
      bar.start(0, 0, { position: '-' });
      try {
        const report = await verifyChain(store, { ...(options.stream ? { streamId: options.stream } : {}), ...(options.category ? { category: options.category } : {}) }, (checked, position) => {
          bar.setTotal(checked);
          bar.update(checked, { position: position.toString() });
        });
        bar.stop();
        if (report.brokenLink) {
          const link = report.brokenLink;
          process.stdout.write(`BROKEN at stream ${link.streamId} revision ${link.revision} (event ${link.id}, position ${link.position}): ${link.problem}\n`);
          process.exitCode = 1;
        } else {
          process.stdout.write(`chain intact: ${report.checked} events checked\n`);
        }
      } finally {
        bar.stop();
        await close();
      }
    });

  program
    .command('cat-export')
    .description('order-lifecycle records (new order, route, fill, cancel, rejection) of one trading day, CAT-style')
    .requiredOption('--date <yyyy-mm-dd>', 'the trading day (UTC)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .option('--out <file>', 'write here instead of standard output')
    .action(async (options: { date: string; format: 'jsonl' | 'csv'; out?: string }) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(options.date) || Number.isNaN(Date.parse(`${options.date}T00:00:00Z`))) {
        process.stderr.write(`cat-export: --date must be a day as YYYY-MM-DD, got "${options.date}"\n`);
        process.exitCode = 2;
        return;
      }
      const start = Date.parse(`${options.date}T00:00:00.000Z`);
      const end = start + 24 * 3600 * 1000;
      const { store, close } = await open();
      const output = options.out ? createWriteStream(options.out) : process.stdout;
      const exporter = new OrderLifecycleExport();
      const bar = progressBar('cat-export');
      bar.start(0, 0, { position: '-' });
      const records: OrderLifecycleRecord[] = [];
      let read = 0;
      try {
        let after: bigint | undefined;
        for (;;) {
          const events = await store.readAll({ ...(after === undefined ? {} : { after }), maxCount: 4_096 });
          if (events.length === 0) break;
          // Events after the day end the export: the log's order is the order of recording.
          const page = exporter.records(events, (event) => event.recordedAt.getTime() >= start && event.recordedAt.getTime() < end);
          if (options.format === 'jsonl') for (const record of page) output.write(`${JSON.stringify(record)}\n`);
          else records.push(...page);
          read += events.length;
          after = events[events.length - 1]!.position;
          bar.setTotal(read);
          bar.update(read, { position: after.toString() });
          if (events[events.length - 1]!.recordedAt.getTime() >= end + 60_000) break;
        }
        if (options.format === 'csv') output.write(records.length > 0 ? toCsv(records) : `${ORDER_LIFECYCLE_FIELDS.join(',')}\r\n`);
      } finally {
        bar.stop();
        if (output !== process.stdout) await new Promise<void>((resolve) => (output as NodeJS.WritableStream).end(() => resolve()));
        await close();
      }
    });
}
