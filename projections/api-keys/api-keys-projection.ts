import type { ApiKeyEvent } from '../../domain/api-keys/api-keys.ts';
import { occurredAt, type RowProjection } from '../row-projection.ts';

export interface ApiKeyRow {
  [column: string]: string | null;
  key_id: string;
  account_id: string;
  secret_hash: string;
  label: string | null;
  created_at: string;
  revoked_at: string | null;
}

/** `api_keys`: every key pair by its id, for authentication (the secret only as its hash). */
export const apiKeysProjection: RowProjection<ApiKeyRow> = {
  name: 'api_keys',
  table: 'api_keys',
  keyColumns: ['key_id'],
  columns: ['key_id', 'account_id', 'secret_hash', 'label', 'created_at', 'revoked_at'],
  integerColumns: [],
  handles: new Set<ApiKeyEvent['type']>(['ApiKeyCreated', 'ApiKeyRevoked']),
  keyOf: (event) => ({ key_id: (event.data as { keyId: string }).keyId }),
  evolve(row, recorded) {
    const event = { type: recorded.type, data: recorded.data } as ApiKeyEvent;
    switch (event.type) {
      case 'ApiKeyCreated':
        return row ?? { key_id: event.data.keyId, account_id: event.data.accountId, secret_hash: event.data.secretHash, label: event.data.label, created_at: occurredAt(recorded), revoked_at: null };
      case 'ApiKeyRevoked':
        return row && { ...row, revoked_at: row.revoked_at ?? occurredAt(recorded) };
      default:
        return row;
    }
  },
};
