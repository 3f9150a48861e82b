import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyDirectory, ApiKeyEntry, ApiKeySecrets } from '../../application/api-keys/api-keys.ts';
import type { SqlClient } from '../persistence/sql-client.ts';

const KEY_ID_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/**
 * Key ids like Alpaca's (`PK` + 18 characters), secrets of 32 random bytes (base64url, 43
 * characters). A secret is as strong as a random 256-bit key, so a fast hash is the right
 * store for it (a slow password hash would only slow every request down): SHA-256, compared in
 * constant time.
 */
export const apiKeySecrets: ApiKeySecrets = {
  newKeyId() {
    const bytes = randomBytes(18);
    return `PK${[...bytes].map((byte) => KEY_ID_ALPHABET[byte % KEY_ID_ALPHABET.length]).join('')}`;
  },
  newSecret: () => randomBytes(32).toString('base64url'),
  hash: (secret) => createHash('sha256').update(secret, 'utf8').digest('hex'),
  matches(secret, hash) {
    const given = Buffer.from(createHash('sha256').update(secret, 'utf8').digest('hex'), 'utf8');
    const stored = Buffer.from(hash, 'utf8');
    return given.length === stored.length && timingSafeEqual(given, stored);
  },
};

interface ApiKeyRecord {
  key_id: string;
  account_id: string;
  secret_hash: string;
  label: string | null;
  created_at: Date | string;
  revoked_at: Date | string | null;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());
const entry = (row: ApiKeyRecord): ApiKeyEntry => ({ keyId: row.key_id, accountId: row.account_id, secretHash: row.secret_hash, label: row.label, createdAt: iso(row.created_at)!, revokedAt: iso(row.revoked_at) });
const COLUMNS = 'key_id, account_id::text AS account_id, secret_hash, label, created_at, revoked_at';

/** The `api_keys` read model. */
export class SqlApiKeyDirectory implements ApiKeyDirectory {
  constructor(private readonly db: SqlClient) {}

  async find(keyId: string): Promise<ApiKeyEntry | undefined> {
    const [row] = await this.db.query<ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys WHERE key_id = $1`, [keyId]);
    return row && entry(row);
  }

  async list(accountId: string): Promise<ApiKeyEntry[]> {
    const rows = await this.db.query<ApiKeyRecord>(`SELECT ${COLUMNS} FROM api_keys WHERE account_id = $1 ORDER BY created_at DESC, key_id`, [accountId]);
    return rows.map(entry);
  }
}
