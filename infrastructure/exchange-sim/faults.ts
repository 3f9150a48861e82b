import { z } from 'zod';
import { seededRandom } from '../../domain/shared/seeded-random.ts';

/** Faults the simulated exchange injects: set at start or through `POST /admin/faults`. */
export const faultSettings = z
  .object({
    /** Added to every order-API answer. */
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    /** Share of order-API calls answered 503. */
    errorRate: z.number().min(0).max(1).default(0),
    /** Share of order-API calls that hang past any sensible client timeout (after acting). */
    timeoutRate: z.number().min(0).max(1).default(0),
    timeoutMs: z.number().int().min(0).max(600_000).default(30_000),
    /** Share of feed messages after which the feed connection is dropped. */
    dropRate: z.number().min(0).max(1).default(0),
    /** Share of executions sent twice. */
    duplicateRate: z.number().min(0).max(1).default(0),
    /** Share of feed messages held back and sent after the next one. */
    reorderRate: z.number().min(0).max(1).default(0),
  })
  .strict();

export type FaultSettings = z.infer<typeof faultSettings>;

export const NO_FAULTS: FaultSettings = faultSettings.parse({});

export type FaultKind = 'error' | 'timeout' | 'drop' | 'duplicate' | 'reorder';

/**
 * Draws fault decisions from a seeded generator, so a run with faults can be replayed; each fault
 * that fires is told to `onFault` (the simulator counts them, so a drill can show each fired).
 */
export class FaultInjector {
  private random: () => number;

  constructor(
    public settings: FaultSettings,
    seed: number,
    private readonly onFault: (kind: FaultKind) => void = () => undefined,
  ) {
    this.random = seededRandom(seed ^ 0x5eed);
  }

  fires(kind: FaultKind): boolean {
    const rate = this.settings[`${kind}Rate`];
    const fired = rate > 0 && this.random() < rate;
    if (fired) this.onFault(kind);
    return fired;
  }
}
