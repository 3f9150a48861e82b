import { apiKeysDecider, apiKeysStreamId } from '../../domain/api-keys/api-keys.ts';
import type { CommandContext } from '../shared/command-context.ts';
import type { CommandHandler } from '../shared/command-handler.ts';

/** Makes key ids and secrets, and hashes secrets (an adapter: randomness and hashing are not the domain's). */
export interface ApiKeySecrets {
  newKeyId(): string;
  newSecret(): string;
  hash(secret: string): string;
  /** Compares in constant time. */
  matches(secret: string, hash: string): boolean;
}

export interface ApiKeyEntry {
  readonly keyId: string;
  readonly accountId: string;
  readonly secretHash: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly revokedAt: string | null;
}

/** The keys as the `api_keys` read model has them. */
export interface ApiKeyDirectory {
  find(keyId: string): Promise<ApiKeyEntry | undefined>;
  list(accountId: string): Promise<ApiKeyEntry[]>;
}

export interface CreatedApiKey {
  readonly keyId: string;
  /** Shown this once; only its hash is kept. */
  readonly secret: string;
  readonly label: string | null;
  readonly createdAt: string;
  readonly position: bigint | undefined;
}

export const createApiKey =
  ({ commands, secrets }: { commands: CommandHandler; secrets: ApiKeySecrets }) =>
  async (accountId: string, label: string | null, context: CommandContext): Promise<CreatedApiKey> => {
    const keyId = secrets.newKeyId();
    const secret = secrets.newSecret();
    const outcome = await commands.handle(
      apiKeysDecider,
      apiKeysStreamId(accountId),
      { type: 'CreateApiKey', data: { accountId, keyId, secretHash: secrets.hash(secret), label } },
      context,
      `api-keys/${accountId}/create/${keyId}`,
    );
    return { keyId, secret, label, createdAt: context.occurredAt, position: outcome.position };
  };

export const revokeApiKey =
  ({ commands }: { commands: CommandHandler }) =>
  async (accountId: string, keyId: string, context: CommandContext): Promise<{ position: bigint | undefined }> => {
    const outcome = await commands.handle(apiKeysDecider, apiKeysStreamId(accountId), { type: 'RevokeApiKey', data: { accountId, keyId } }, context, `api-keys/${accountId}/revoke/${keyId}`);
    return { position: outcome.position };
  };

export interface ApiKeyAuthenticationDependencies {
  readonly directory: ApiKeyDirectory;
  readonly secrets: ApiKeySecrets;
  /**
   * Waits until the read model has caught up with what was written before this moment: a key
   * created a moment ago (on this or another instance) is found on the second look.
   */
  readonly catchUp?: () => Promise<void>;
}

const LATE_LOOKS = 4;
const LATE_LOOK_MS = 100;

/** The account a key pair belongs to, or undefined for an unknown, revoked or mismatched pair. */
export const authenticateApiKey =
  ({ directory, secrets, catchUp }: ApiKeyAuthenticationDependencies) =>
  async (keyId: string, secret: string): Promise<{ accountId: string } | undefined> => {
    let entry = await directory.find(keyId);
    if (!entry && catchUp) {
      await catchUp();
      entry = await directory.find(keyId);
      // The log's settled head trails a write still committing while any other transaction of
      // the server runs: a key made a moment ago may need another look or two.
      for (let look = 0; !entry && look < LATE_LOOKS; look += 1) {
        await new Promise((resolve) => setTimeout(resolve, LATE_LOOK_MS));
        entry = await directory.find(keyId);
      }
    }
    if (!entry || entry.revokedAt !== null || !secrets.matches(secret, entry.secretHash)) return undefined;
    return { accountId: entry.accountId };
  };

export type ApiKeyAuthenticator = ReturnType<typeof authenticateApiKey>;
