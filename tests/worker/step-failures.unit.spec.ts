import { describe, expect, it } from 'vitest';
import { StepFailures } from '../../infrastructure/worker/step-failures.ts';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('step failures', () => {
  const policy = { giveUpAfter: 3, baseBackoffMs: 100, maxBackoffMs: 1_000 };

  it('backs an order off, doubling the wait per failure up to the bound', () => {
    const time = clock();
    const failures = new StepFailures(policy, time.now);
    const waits: number[] = [];
    for (let i = 0; i < 6; i += 1) {
      failures.failed('o1');
      let waited = 0;
      while (!failures.due('o1')) {
        time.advance(50);
        waited += 50;
      }
      waits.push(waited);
    }
    expect(waits).toEqual([100, 200, 400, 800, 1_000, 1_000]);
    expect(failures.due('o2')).toBe(true);
  });

  it('gives up on an order that keeps failing while other orders succeed', () => {
    const time = clock();
    const failures = new StepFailures(policy, time.now);
    expect(failures.failed('o1')).toBe(false);
    time.advance(10);
    failures.succeeded('o2');
    expect(failures.failed('o1')).toBe(false);
    expect(failures.failed('o1')).toBe(true);
  });

  it('never gives up while nothing succeeds (an outage, not the order)', () => {
    const failures = new StepFailures(policy, clock().now);
    const verdicts = Array.from({ length: 10 }, () => failures.failed('o1'));
    expect(verdicts.every((verdict) => verdict === false)).toBe(true);
  });

  it('starts counting again after the order succeeds', () => {
    const time = clock();
    const failures = new StepFailures(policy, time.now);
    failures.failed('o1');
    failures.failed('o1');
    failures.succeeded('o1');
    time.advance(10);
    failures.succeeded('o2');
    expect(failures.failures('o1')).toBe(0);
    expect(failures.failed('o1')).toBe(false);
  });
});
