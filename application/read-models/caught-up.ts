import type { EventStore } from '../event-store/event-store.ts';
import type { ProjectionProgress } from './queries.ts';

/** Waits until every read model has applied `position`; false when `timeoutMs` passed first. */
export async function waitForPosition(progress: ProjectionProgress, position: bigint, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    if ((await progress.appliedPosition()) >= position) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/**
 * Resolves once the read models have applied everything the log held when it was called, or
 * after `timeoutMs` — whichever comes first (the caller looks again either way).
 */
export async function readModelsCaughtUp(store: Pick<EventStore, 'headPosition'>, progress: ProjectionProgress, timeoutMs: number): Promise<void> {
  await waitForPosition(progress, await store.headPosition(), timeoutMs);
}
