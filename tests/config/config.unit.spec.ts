import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../infrastructure/config/config.ts';

function failureOf(environment: Record<string, string>): string {
  try {
    loadConfig(environment);
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a configuration error');
}

describe('configuration from the environment', () => {
  it('gives every setting a working local default', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ HOST: '127.0.0.1', API_PORT: 3000, STREAM_PORT: 3001, EVENT_STORE: 'postgres', KAFKA_BROKERS: '127.0.0.1:9092' });
  });

  it('takes defaults a process passes and lets the environment override them', () => {
    expect(loadConfig({}, { EVENT_STORE: 'pglite' }).EVENT_STORE).toBe('pglite');
    expect(loadConfig({ EVENT_STORE: 'postgres' }, { EVENT_STORE: 'pglite' }).EVENT_STORE).toBe('postgres');
  });

  it('points EXCHANGE_URL at EXCHANGE_PORT on this machine unless EXCHANGE_URL is set', () => {
    expect(loadConfig({}).EXCHANGE_URL).toBe('http://127.0.0.1:3100');
    expect(loadConfig({ EXCHANGE_PORT: '4123' }).EXCHANGE_URL).toBe('http://127.0.0.1:4123');
    expect(loadConfig({ EXCHANGE_PORT: '4123', EXCHANGE_URL: 'http://exchange-sim:3100' }).EXCHANGE_URL).toBe('http://exchange-sim:3100');
  });

  it('has the simulator listen on loopback, whatever HOST the API listens on', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).EXCHANGE_HOST).toBe('127.0.0.1');
    expect(loadConfig({ EXCHANGE_HOST: '0.0.0.0' }).EXCHANGE_HOST).toBe('0.0.0.0');
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ API_PORT: '' }).API_PORT).toBe(3000);
  });

  it.each([
    [{ API_PORT: 'abc' }, /^configuration error: API_PORT is invalid: .* \(got "abc"\)$/],
    [{ API_PORT: '70000' }, /^configuration error: API_PORT is invalid/],
    [{ EVENT_STORE: 'mongo' }, /^configuration error: EVENT_STORE is invalid: .*"pglite"\|"postgres"\|"eventstoredb"/],
    [{ EVENT_STORE: 'eventstoredb' }, /^configuration error: EVENTSTORE_URL is required when EVENT_STORE=eventstoredb$/],
    [{ KAFKA_BROKERS: 'localhost' }, /^configuration error: KAFKA_BROKERS is invalid: must be host:port/],
    [{ LOG_LEVEL: 'loud' }, /^configuration error: LOG_LEVEL is invalid/],
  ])('names the variable in one line when %o is wrong', (environment, message) => {
    expect(failureOf(environment)).toMatch(message);
  });

  it('never repeats a secret or a connection string in its message', () => {
    const message = failureOf({ JWT_SECRET: 'too-short-secret', DATABASE_URL: 'mysql://user:hunter2@db/x' });
    expect(message).not.toContain('hunter2');
    expect(failureOf({ JWT_SECRET: 'too-short-secret' })).not.toContain('too-short-secret');
    expect(failureOf({ EXCHANGE_ADMIN_TOKEN: 'too-short-token' })).toBe('configuration error: EXCHANGE_ADMIN_TOKEN is invalid: must be at least 32 characters');
    expect(failureOf({ DATABASE_URL: 'mysql://user:hunter2@db/x' })).toBe('configuration error: DATABASE_URL is invalid: must be a postgres:// URL naming a database');
  });
});
