import { apiKeysDecider, apiKeysStreamId } from '../../domain/api-keys/api-keys.ts';
import type { CommandContext } from '../shared/command-context.ts';
import type { CommandHandler } from '../shared/command-handler.ts';
import type { RecentApiKeys } from './recent-api-keys.ts';

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
  ({ commands, secrets, recent }: { commands: CommandHandler; secrets: ApiKeySecrets; recent?: RecentApiKeys }) =>
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
    if (outcome.position !== undefined) recent?.remember(keyId, outcome.position);
    return { keyId, secret, label, createdAt: context.occurredAt, position: outcome.position };
  };

export const revokeApiKey =
  ({ commands }: { commands: CommandHandler }) =>
  async (accountId: string, keyId: string, context: CommandContext): Promise<{ position: bigint | undefined }> => {
    const outcome = await commands.handle(apiKeysDecider, apiKeysStreamId(accountId), { type: 'RevokeApiKey', data: { accountId, keyId } }, context, `api-keys/${accountId}/revoke/${keyId}`);
    return { position: outcome.position };
  };

/**
 * Where a key the read model lacks may still be on its way: the log position of its creation, and
 * a bounded wait for the read models to apply it. Nothing else makes a lookup wait.
 */
export interface PendingApiKeys {
  /** The position of the key's creation when it may not be projected yet (made here a moment ago, or the caller's X-Min-Position); undefined when nothing says so. */
  creationOf(keyId: string, callerPosition: bigint | undefined): Promise<bigint | undefined>;
  /** Waits, for a bounded time, until the read models have applied `position`. */
  projected(position: bigint): Promise<unknown>;
}

export interface ApiKeyAuthenticationDependencies {
  readonly directory: ApiKeyDirectory;
  readonly secrets: ApiKeySecrets;
  /** Without it, every key the read model lacks is unknown at once. */
  readonly pending?: PendingApiKeys;
}

/**
 * The account a key pair belongs to, or undefined for an unknown, revoked or mismatched pair.
 * One lookup; a miss is answered at once unless the key's creation is known to be still
 * projecting, and then the lookup waits for exactly that position, once. A flood of unknown keys
 * costs one indexed read each, never a poll of the read models.
 */
export const authenticateApiKey =
  ({ directory, secrets, pending }: ApiKeyAuthenticationDependencies) =>
  async (keyId: string, secret: string, callerPosition?: bigint): Promise<{ accountId: string } | undefined> => {
    let entry = await directory.find(keyId);
    const creation = entry || !pending ? undefined : await pending.creationOf(keyId, callerPosition);
    if (creation !== undefined) {
      await pending!.projected(creation);
      entry = await directory.find(keyId);
    }
    if (!entry || entry.revokedAt !== null || !secrets.matches(secret, entry.secretHash)) return undefined;
    return { accountId: entry.accountId };
  };

/** Keys made on this instance, and positions the caller names within the log, are worth a wait. */
export function pendingApiKeys({ recent, logHead, waitFor }: { recent: RecentApiKeys; logHead: () => Promise<bigint>; waitFor: (position: bigint) => Promise<unknown> }): PendingApiKeys {
  return {
    async creationOf(keyId, callerPosition) {
      const made = recent.positionOf(keyId);
      if (made !== undefined) return made;
      // A position past the log's head was never given out: waiting on it would hold the request for nothing.
      return callerPosition !== undefined && callerPosition <= (await logHead()) ? callerPosition : undefined;
    },
    projected: waitFor,
  };
}

export type ApiKeyAuthenticator = ReturnType<typeof authenticateApiKey>;
