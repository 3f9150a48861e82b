import { describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../application/event-store/event-store.ts';
import { InProcessLogWakeups } from '../../infrastructure/event-store/log-wakeups.ts';
import { EventLogOrderError, PollingAllSubscription } from '../../infrastructure/event-store/sql/polling-all-subscription.ts';

const at = (position: bigint): RecordedEvent => ({
  streamId: 's',
  revision: 0n,
  position,
  id: `e${position}`,
  type: 'T',
  data: {},
  metadata: { correlationId: 'c', causationId: 'c', principal: 'p' },
  recordedAt: new Date(0),
  hash: '',
});

/** A log that answers reads from a script: one batch per read, then nothing. */
function scriptedLog(batches: RecordedEvent[][], failuresFirst = 0) {
  const asked: Array<bigint | undefined> = [];
  let failures = failuresFirst;
  return {
    asked,
    async readAll({ after }: { after?: bigint }) {
      asked.push(after);
      if (failures > 0) {
        failures -= 1;
        throw new Error('connection lost');
      }
      return batches.shift() ?? [];
    },
    async hasUnsettledEventsAfter() {
      return false;
    },
  };
}

async function drain(subscription: PollingAllSubscription, count: number): Promise<RecordedEvent[]> {
  const taken: RecordedEvent[] = [];
  for await (const event of subscription) {
    taken.push(event);
    if (taken.length === count) break;
  }
  await subscription.close();
  return taken;
}

describe('polling catch-up subscription', () => {
  it('reads on from the last position it delivered', async () => {
    const log = scriptedLog([[at(5n), at(7n)], [at(9n)]]);
    const subscription = new PollingAllSubscription(log, new InProcessLogWakeups(), 3n, { idlePollMs: 5 }, () => undefined);

    const delivered = await drain(subscription, 3);

    expect(delivered.map((event) => event.position)).toEqual([5n, 7n, 9n]);
    expect(log.asked.slice(0, 2)).toEqual([3n, 7n]);
  });

  it('retries a failed read from the same position', async () => {
    const log = scriptedLog([[at(1n)]], 2);
    const errors: unknown[] = [];
    const subscription = new PollingAllSubscription(log, new InProcessLogWakeups(), undefined, { maxRetryDelayMs: 5, onReadError: (error) => errors.push(error) }, () => undefined);

    const delivered = await drain(subscription, 1);

    expect(delivered.map((event) => event.position)).toEqual([1n]);
    expect(errors).toHaveLength(2);
    expect(log.asked).toEqual([-1n, -1n, -1n]);
  });

  it('stops loudly rather than deliver an event at or behind what it delivered', async () => {
    const log = scriptedLog([[at(5n)], [at(4n)]]);
    const subscription = new PollingAllSubscription(log, new InProcessLogWakeups(), undefined, { idlePollMs: 5 }, () => undefined);

    await expect(drain(subscription, 2)).rejects.toBeInstanceOf(EventLogOrderError);
  });
});
