import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { Presets, SingleBar } from 'cli-progress';
import { auditEventJson } from '../../application/audit/audit-json.ts';
import { selectEvents, type EventSelection } from '../../application/audit/event-selection.ts';
import type { EventStore, RecordedEvent } from '../../application/event-store/event-store.ts';
import type { Config } from '../../infrastructure/config/config.ts';
import { compose } from '../../infrastructure/composition/container.ts';
import { TOKENS } from '../../infrastructure/composition/tokens.ts';

export interface ReplayOptions {
  readonly stream?: string;
  readonly category?: string;
  readonly fromPosition?: bigint;
  readonly toPosition?: bigint;
  readonly from?: Date;
  readonly to?: Date;
  readonly type?: string[];
  /** JSON Lines: `true` to stdout, a string to that file. */
  readonly jsonl?: string | boolean;
  readonly progress: boolean;
}

/** One event per line for a person: position, time, stream@revision, type, data. */
export function humanLine(event: RecordedEvent): string {
  return `${event.position.toString().padStart(16)}  ${event.recordedAt.toISOString()}  ${event.streamId}@${event.revision}  ${event.type}  ${JSON.stringify(event.data)}\n`;
}

export function jsonLine(event: RecordedEvent): string {
  return `${JSON.stringify(auditEventJson(event))}\n`;
}

/** Buffers lines and writes them in chunks, waiting when the destination is full. */
class ChunkedWriter {
  private buffer: string[] = [];
  private size = 0;

  constructor(private readonly out: NodeJS.WritableStream) {}

  async write(line: string): Promise<void> {
    this.buffer.push(line);
    this.size += line.length;
    if (this.size >= 64 * 1024) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.size = 0;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }
}

/** How far along the selection the reader is, as a fraction (positions are sparse, so it is an estimate). */
async function progressScale(store: EventStore, selection: EventSelection): Promise<(at: bigint) => number> {
  if (selection.stream !== undefined) {
    const [last] = await store.readStream(selection.stream, { direction: 'backwards', maxCount: 1 });
    const total = last ? Number(last.revision + 1n) : 1;
    return (revision) => Math.min(1, Number(revision + 1n) / total);
  }
  const [first] = await store.readAll({ after: selection.fromPosition !== undefined ? selection.fromPosition - 1n : -1n, maxCount: 1 });
  const start = first?.position ?? 0n;
  const head = await store.headPosition();
  const end = selection.toPosition !== undefined && selection.toPosition < head ? selection.toPosition : head;
  const span = end > start ? Number(end - start) : 1;
  return (position) => Math.max(0, Math.min(1, Number(position - start) / span));
}

/**
 * `replay`: the selected events, oldest first, one line each — for a person, or as JSON Lines
 * with positions and revisions as strings. A progress bar on stderr follows long runs whose
 * output is not the terminal.
 */
export async function replayCommand(config: Config, options: ReplayOptions): Promise<void> {
  const selection: EventSelection = {
    ...(options.stream !== undefined ? { stream: options.stream } : {}),
    ...(options.category !== undefined ? { category: options.category } : {}),
    ...(options.fromPosition !== undefined ? { fromPosition: options.fromPosition } : {}),
    ...(options.toPosition !== undefined ? { toPosition: options.toPosition } : {}),
    ...(options.from ? { from: options.from } : {}),
    ...(options.to ? { to: options.to } : {}),
    ...(options.type ? { types: new Set(options.type) } : {}),
  };
  const toFile = typeof options.jsonl === 'string';
  const out: NodeJS.WritableStream = toFile ? createWriteStream(options.jsonl as string) : process.stdout;
  const format = options.jsonl ? jsonLine : humanLine;
  // The bar shares the terminal with the output only when the output goes elsewhere.
  const showProgress = options.progress && (toFile || !process.stdout.isTTY);

  const composition = await compose(config, 'replay');
  const store = composition.container.resolve<EventStore>(TOKENS.EventStore);
  const started = Date.now();
  let written = 0;
  let read = 0;
  const bar = showProgress ? new SingleBar({ format: 'replay {bar} {percentage}% | {read} read | {written} written | at {at}', hideCursor: true }, Presets.shades_classic) : undefined;
  try {
    const scale = bar ? await progressScale(store, selection) : () => 0;
    bar?.start(1000, 0, { read: 0, written: 0, at: '-' });
    const writer = new ChunkedWriter(out);
    const events = selectEvents(store, selection, {
      onPage: (progress) => {
        read = progress.read;
        bar?.update(Math.round(scale(progress.at) * 1000), { read, written, at: progress.at.toString() });
      },
    });
    for await (const event of events) {
      await writer.write(format(event));
      written += 1;
    }
    await writer.flush();
    bar?.update(1000, { read, written });
  } finally {
    bar?.stop();
    if (toFile) {
      out.end();
      await once(out, 'finish');
    }
    await composition.close();
  }
  if (showProgress || toFile) {
    process.stderr.write(`replay: ${written} events written (${read} read) in ${((Date.now() - started) / 1000).toFixed(1)} s${toFile ? ` to ${options.jsonl as string}` : ''}\n`);
  }
}
