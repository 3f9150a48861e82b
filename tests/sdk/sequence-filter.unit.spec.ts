import { describe, expect, it } from 'vitest';
import { SequenceFilter } from '../../sdk/sequence-filter.ts';

describe('sequence filter', () => {
  it('given nothing seen of a symbol, when any seq arrives, then it is accepted', () => {
    const filter = new SequenceFilter();
    expect(filter.accept('AAPL', 0)).toBe(true);
    expect(filter.lastSeq('AAPL')).toBe(0);
  });

  it('given seq 10 seen, when 11 arrives, then it is accepted and becomes the last seq', () => {
    const filter = new SequenceFilter();
    filter.accept('AAPL', 10);
    expect(filter.accept('AAPL', 11)).toBe(true);
    expect(filter.lastSeq('AAPL')).toBe(11);
  });

  it('given seq 10 seen, when 10 or 9 arrives, then each is dropped and counted, and the last seq stays 10', () => {
    const filter = new SequenceFilter();
    filter.accept('AAPL', 10);
    expect(filter.accept('AAPL', 10)).toBe(false);
    expect(filter.accept('AAPL', 9)).toBe(false);
    expect(filter.dropped).toBe(2);
    expect(filter.lastSeq('AAPL')).toBe(10);
  });

  it('given a gap, when a later seq arrives, then it is accepted (gaps are allowed, repeats are not)', () => {
    const filter = new SequenceFilter();
    filter.accept('AAPL', 10);
    expect(filter.accept('AAPL', 25)).toBe(true);
    expect(filter.accept('AAPL', 20)).toBe(false);
  });

  it('given two symbols, when one is far ahead, then the other is filtered on its own sequence', () => {
    const filter = new SequenceFilter();
    filter.accept('AAPL', 1_000);
    expect(filter.accept('TSLA', 5)).toBe(true);
    expect(filter.dropped).toBe(0);
  });

  it('given some symbols seen, when since() is asked for a list, then it names only those with a seq', () => {
    const filter = new SequenceFilter();
    filter.accept('AAPL', 12);
    filter.accept('MSFT', 3);
    expect(filter.since(['AAPL', 'TSLA', 'MSFT'])).toEqual({ AAPL: 12, MSFT: 3 });
    expect(filter.since([])).toEqual({});
  });
});
