import type { Decider } from '../shared/decider.ts';
import { DomainError } from '../shared/domain-error.ts';

/**
 * An account's API key pairs (the Alpaca-compatible face authenticates with them): each key is
 * created with the hash of its secret — the secret itself is shown once and never recorded —
 * and may be revoked. Keys live on the stream `api-keys-{accountId}`, so who created or revoked
 * which key, and when, is in the log like every other change.
 */

export const MAX_ACTIVE_KEYS = 10;

export interface ApiKeyRecord {
  readonly keyId: string;
  readonly secretHash: string;
  readonly label: string | null;
  readonly revoked: boolean;
}

export interface ApiKeysState {
  readonly keys: Readonly<Record<string, ApiKeyRecord>>;
}

export type ApiKeyCommand =
  | { readonly type: 'CreateApiKey'; readonly data: { readonly accountId: string; readonly keyId: string; readonly secretHash: string; readonly label: string | null } }
  | { readonly type: 'RevokeApiKey'; readonly data: { readonly accountId: string; readonly keyId: string } };

export type ApiKeyEvent =
  | { readonly type: 'ApiKeyCreated'; readonly data: { readonly accountId: string; readonly keyId: string; readonly secretHash: string; readonly label: string | null } }
  | { readonly type: 'ApiKeyRevoked'; readonly data: { readonly accountId: string; readonly keyId: string } };

export const apiKeysStreamId = (accountId: string) => `api-keys-${accountId}`;

export const noApiKeys: ApiKeysState = { keys: {} };

function create(command: Extract<ApiKeyCommand, { type: 'CreateApiKey' }>, state: ApiKeysState): ApiKeyEvent[] {
  const { keyId, secretHash } = command.data;
  const existing = state.keys[keyId];
  if (existing) {
    // The same step again (a retried request) is done; another secret under the same id is not.
    if (existing.secretHash === secretHash) return [];
    throw new DomainError('idempotency_conflict', `key ${keyId} exists with another secret`);
  }
  const active = Object.values(state.keys).filter((key) => !key.revoked).length;
  if (active >= MAX_ACTIVE_KEYS) throw new DomainError('too_many_api_keys', `an account may have at most ${MAX_ACTIVE_KEYS} active keys; revoke one first`);
  return [{ type: 'ApiKeyCreated', data: command.data }];
}

function revoke(command: Extract<ApiKeyCommand, { type: 'RevokeApiKey' }>, state: ApiKeysState): ApiKeyEvent[] {
  const key = state.keys[command.data.keyId];
  if (!key) throw new DomainError('unknown_api_key', `this account has no key ${command.data.keyId}`);
  return key.revoked ? [] : [{ type: 'ApiKeyRevoked', data: command.data }];
}

export const apiKeysDecider: Decider<ApiKeyCommand, ApiKeyEvent, ApiKeysState> = {
  initialState: noApiKeys,
  decide(command, state) {
    switch (command.type) {
      case 'CreateApiKey':
        return create(command, state);
      case 'RevokeApiKey':
        return revoke(command, state);
      default: {
        const unknown: never = command;
        throw new Error(`unknown command ${JSON.stringify(unknown)}`);
      }
    }
  },
  evolve(state, event) {
    switch (event.type) {
      case 'ApiKeyCreated': {
        const { keyId, secretHash, label } = event.data;
        return { keys: { ...state.keys, [keyId]: { keyId, secretHash, label, revoked: false } } };
      }
      case 'ApiKeyRevoked': {
        const key = state.keys[event.data.keyId];
        return key ? { keys: { ...state.keys, [key.keyId]: { ...key, revoked: true } } } : state;
      }
      default:
        return state;
    }
  },
};
