import { describe, expect, it } from 'vitest';
import { parseServerMessage } from '../../sdk/protocol.ts';

const entry = { symbol: 'AAPL', seq: 7, priceCents: 19_000, bidCents: 18_995, askCents: 19_005, volume: 120, changePct: 0.5, ts: '2026-01-02T14:30:00.123Z' };

describe('server message parsing', () => {
  it('given a quotes frame, when parsed, then every entry comes back with its fields', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'quotes', data: [entry, { ...entry, symbol: 'TSLA' }] }))).toEqual({ type: 'quotes', data: [entry, { ...entry, symbol: 'TSLA' }] });
  });

  it('given a snapshot frame, when parsed, then it carries the quote fields', () => {
    expect(parseServerMessage(JSON.stringify({ type: 'snapshot', ...entry }))).toEqual({ type: 'snapshot', ...entry });
  });

  it('given stale, pong, error and order frames, when parsed, then each is recognised', () => {
    expect(parseServerMessage('{"type":"stale","symbols":["AAPL"]}')).toEqual({ type: 'stale', symbols: ['AAPL'] });
    expect(parseServerMessage('{"type":"pong"}')).toEqual({ type: 'pong' });
    expect(parseServerMessage('{"type":"error","code":"unknown_symbol","message":"not listed: XYZ"}')).toEqual({ type: 'error', code: 'unknown_symbol', message: 'not listed: XYZ' });
    expect(parseServerMessage('{"type":"order","order":{"id":"o-1","status":"filled"}}')).toMatchObject({ type: 'order', order: { id: 'o-1' } });
  });

  it('given text that is not a protocol message, when parsed, then the answer is undefined', () => {
    for (const text of ['not json', '[]', 'null', '{"type":"news"}', '{"type":"quotes","data":[{"symbol":"AAPL"}]}', '{"type":"snapshot","symbol":"AAPL","seq":"7"}', '{"type":"stale","symbols":[1]}']) {
      expect(parseServerMessage(text), text).toBeUndefined();
    }
  });
});
