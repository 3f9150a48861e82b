/**
 * Keys this API instance made a moment ago, with the log position of each creation: such a key
 * works on its first use here, even before the read models have applied it, because the
 * authenticator knows exactly which position to wait for. Entries go after `ttlMs` (by then the
 * read models have the key) and the oldest go first past `capacity`, so memory stays bounded.
 */
export class RecentApiKeys {
  private readonly made = new Map<string, { readonly position: bigint; readonly until: number }>();

  constructor(
    private readonly options: { readonly ttlMs: number; readonly capacity: number; readonly now: () => number } = { ttlMs: 30_000, capacity: 10_000, now: Date.now },
  ) {}

  remember(keyId: string, position: bigint): void {
    this.forgetExpired();
    this.made.set(keyId, { position, until: this.options.now() + this.options.ttlMs });
    if (this.made.size > this.options.capacity) this.made.delete(this.made.keys().next().value!);
  }

  /** The position of the key's creation, while it is recent. */
  positionOf(keyId: string): bigint | undefined {
    const entry = this.made.get(keyId);
    return entry && entry.until > this.options.now() ? entry.position : undefined;
  }

  get size(): number {
    return this.made.size;
  }

  // Entries are in insertion order, which is expiry order: drop from the front.
  private forgetExpired(): void {
    const now = this.options.now();
    for (const [keyId, entry] of this.made) {
      if (entry.until > now) return;
      this.made.delete(keyId);
    }
  }
}
