import { describe, expect, it } from 'vitest';
import { cutAt, parseInstant, withinCut } from '../../application/audit/instant.ts';

describe('instants of the audit', () => {
  it.each([
    ['0', { position: 0n }],
    ['17456955392', { position: 17_456_955_392n }],
    ['9223372036854775807', { position: 9_223_372_036_854_775_807n }],
    ['2026-01-31T12:00:00.000Z', { time: new Date('2026-01-31T12:00:00.000Z') }],
    ['2026-01-31T12:00:00Z', { time: new Date('2026-01-31T12:00:00.000Z') }],
    ['2026-01-31T13:00:00.250+01:00', { time: new Date('2026-01-31T12:00:00.250Z') }],
  ])('given %s, when parsed, then it is %o', (text, instant) => {
    expect(parseInstant(text)).toEqual(instant);
  });

  it.each(['', 'now', '-1', '1.5', '9223372036854775808', '2026-01-31', '2026-01-31T12:00:00', '2026-02-31T25:00:00Z', '12 Jan 2026'])('given %j, when parsed, then it is no instant', (text) => {
    expect(parseInstant(text)).toBeUndefined();
  });

  it('given a position past the settled head, when cut, then the answer stops at the head', () => {
    expect(cutAt({ position: 500n }, 300n)).toEqual({ position: 300n });
    expect(cutAt({ position: 200n }, 300n)).toEqual({ position: 200n });
    const time = new Date('2026-01-31T12:00:00Z');
    expect(cutAt({ time }, 300n)).toEqual({ position: 300n, time });
  });

  it('given a cut, then an event is within it when at or before both its position and its time', () => {
    const time = new Date('2026-01-31T12:00:00.000Z');
    expect(withinCut({ position: 10n, recordedAt: time }, { position: 10n, time })).toBe(true);
    expect(withinCut({ position: 11n, recordedAt: time }, { position: 10n, time })).toBe(false);
    expect(withinCut({ position: 10n, recordedAt: new Date(time.getTime() + 1) }, { position: 10n, time })).toBe(false);
    expect(withinCut({ position: 10n, recordedAt: new Date(time.getTime() + 1) }, { position: 10n })).toBe(true);
  });
});
