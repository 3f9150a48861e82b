import { describe, expect, it } from 'vitest';
import { ExponentialBackoff, fullJitterDelay } from '../../sdk/backoff.ts';

const options = { initialMs: 100, maxMs: 3_000 };
/** A random source just below 1: the delay sits at the top of its range. */
const top = () => 0.999_999;

describe('full-jitter backoff delay', () => {
  it('given the first attempt, when the random source is at its top, then the delay is just under the initial delay', () => {
    expect(fullJitterDelay(0, options, top)).toBe(99);
  });

  it('given later attempts, when the random source is at its top, then the ceiling doubles per attempt until it reaches the maximum', () => {
    const ceilings = [0, 1, 2, 3, 4, 5, 6].map((attempt) => fullJitterDelay(attempt, options, top) + 1);
    expect(ceilings).toEqual([100, 200, 400, 800, 1_600, 3_000, 3_000]);
  });

  it('given any attempt, when the random source is zero, then the delay is zero (the full range is used)', () => {
    expect(fullJitterDelay(5, options, () => 0)).toBe(0);
  });

  it('given a very high attempt number, when the delay is computed, then it stays at most the maximum and is a number', () => {
    expect(fullJitterDelay(5_000, options, top)).toBe(2_999);
    expect(fullJitterDelay(5_000, { initialMs: 0, maxMs: 0 }, top)).toBe(0);
  });

  it('given a uniform random source, when many delays of one attempt are drawn, then they spread over the whole range', () => {
    let state = 7;
    const random = () => ((state = (state * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    const delays = Array.from({ length: 2_000 }, () => fullJitterDelay(3, options, random));
    expect(Math.min(...delays)).toBeLessThan(40);
    expect(Math.max(...delays)).toBeGreaterThan(760);
    expect(delays.every((delay) => delay >= 0 && delay < 800)).toBe(true);
  });
});

describe('exponential backoff', () => {
  it('given consecutive failures, when next() is called, then attempts count from 1 and delays grow', () => {
    const backoff = new ExponentialBackoff(options, top);
    expect([backoff.next(), backoff.next(), backoff.next()]).toEqual([
      { attempt: 1, delayMs: 99 },
      { attempt: 2, delayMs: 199 },
      { attempt: 3, delayMs: 399 },
    ]);
  });

  it('given a connection that stayed up, when reset() is called, then the next attempt starts from the first delay', () => {
    const backoff = new ExponentialBackoff(options, top);
    backoff.next();
    backoff.next();
    backoff.reset();
    expect(backoff.next()).toEqual({ attempt: 1, delayMs: 99 });
  });

  it('given a maximum below the initial delay, when the backoff is built, then it refuses', () => {
    expect(() => new ExponentialBackoff({ initialMs: 500, maxMs: 100 }, top)).toThrow(RangeError);
  });
});
