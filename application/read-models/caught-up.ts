import type { EventStore } from '../event-store/event-store.ts';
import type { ProjectionProgress } from './queries.ts';

/**
 * Resolves once the read models have applied everything the log held when it was called, or
 * after `timeoutMs` — whichever comes first (the caller looks again either way).
 */
export async function readModelsCaughtUp(store: Pick<EventStore, 'headPosition'>, progress: ProjectionProgress, timeoutMs: number): Promise<void> {
  const head = await store.headPosition();
  const deadline = Date.now() + timeoutMs;
  for (let pause = 2; (await progress.appliedPosition()) < head && Date.now() < deadline; pause = Math.min(pause * 2, 50)) {
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}
