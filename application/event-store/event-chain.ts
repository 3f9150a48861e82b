import { createHash } from 'node:crypto';

/** The previous hash of a stream's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Canonical JSON: the rendering PostgreSQL gives a `jsonb` value as text — object keys ordered
 * by byte length and then bytewise (UTF-8), `", "` and `": "` separators, strings escaped as
 * JSON requires and nothing more. PostgreSQL computes the chain in the same statement that
 * appends; every other adapter and the verifier compute it here, and the two agree (a test
 * checks them against each other on random values).
 */
export function canonicalJson(value: unknown): string {
  return render(JSON.parse(JSON.stringify(value ?? null)) as unknown);
}

function render(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(render).join(', ')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => compareKeys(a, b));
  return `{${entries.map(([key, item]) => `${quote(key)}: ${render(item)}`).join(', ')}}`;
}

function compareKeys(a: string, b: string): number {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length - right.length || Buffer.compare(left, right);
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function quote(text: string): string {
  // eslint-disable-next-line no-control-regex
  return `"${text.replace(/["\\\u0000-\u001f]/g, (char) => ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

/** What an event's link in its stream's chain covers. */
export interface ChainedContent {
  readonly type: string;
  readonly data: unknown;
  readonly metadata: unknown;
}

/** sha256 (hex) of the canonical JSON of the event's type, data, metadata and the previous hash. */
export function chainHash(previousHash: string, event: ChainedContent): string {
  const content = canonicalJson({ type: event.type, data: event.data, metadata: event.metadata, previousHash });
  return createHash('sha256').update(content, 'utf8').digest('hex');
}

/** The first problem a chain check found, naming the event. */
export interface BrokenLink {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly id: string;
  readonly problem: string;
}

export interface ChainedEvent extends ChainedContent {
  readonly streamId: string;
  readonly revision: bigint;
  readonly position: bigint;
  readonly id: string;
  readonly hash: string;
}

/**
 * Follows every stream's chain through events given in log order (or one stream's, in revision
 * order): each event must come right after the previous revision of its stream and carry the
 * hash of its own content chained to that event's hash.
 */
export class ChainVerifier {
  private readonly heads = new Map<string, { revision: bigint; hash: string }>();
  checked = 0;

  /** The first broken link among these events, or undefined when they all hold. */
  check(events: Iterable<ChainedEvent>): BrokenLink | undefined {
    for (const event of events) {
      const head = this.heads.get(event.streamId);
      const broken = (problem: string): BrokenLink => ({ streamId: event.streamId, revision: event.revision, position: event.position, id: event.id, problem });
      const expectedRevision = head ? head.revision + 1n : 0n;
      if (event.revision !== expectedRevision) return broken(`revision ${event.revision} follows ${head ? `revision ${head.revision}` : 'the start of the stream'}: an event is missing`);
      const expectedHash = chainHash(head?.hash ?? GENESIS_HASH, event);
      if (event.hash !== expectedHash) return broken(`stored hash ${event.hash || '(none)'} is not the hash of its content and previous link (${expectedHash}): the event or an earlier one was altered`);
      this.heads.set(event.streamId, { revision: event.revision, hash: event.hash });
      this.checked += 1;
    }
    return undefined;
  }

  /** Starts a stream's chain at a known link (to verify from the middle of a stream). */
  trust(streamId: string, revision: bigint, hash: string): void {
    this.heads.set(streamId, { revision, hash });
  }
}
