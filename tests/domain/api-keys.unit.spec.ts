import { describe, it } from 'vitest';
import { apiKeysDecider, MAX_ACTIVE_KEYS, type ApiKeyEvent } from '../../domain/api-keys/api-keys.ts';
import { deciderSpecification } from '../support/decider-specification.ts';

const spec = deciderSpecification(apiKeysDecider);
const accountId = '0b63b8df-c2ac-4b4c-a0b1-f888841cb7bf';
const created = (keyId: string, secretHash = `hash-${keyId}`): ApiKeyEvent => ({ type: 'ApiKeyCreated', data: { accountId, keyId, secretHash, label: null } });
const revoked = (keyId: string): ApiKeyEvent => ({ type: 'ApiKeyRevoked', data: { accountId, keyId } });
const create = (keyId: string, secretHash = `hash-${keyId}`) => ({ type: 'CreateApiKey' as const, data: { accountId, keyId, secretHash, label: null } });
const revoke = (keyId: string) => ({ type: 'RevokeApiKey' as const, data: { accountId, keyId } });

describe('API keys', () => {
  describe('when the account has none', () => {
    it('creates a key with the hash of its secret', () => spec.given().when(create('PK1')).then([created('PK1')]));
    it('refuses to revoke a key it does not have', () => spec.given().when(revoke('PK1')).thenThrows('unknown_api_key'));
  });

  describe('when a key exists', () => {
    it('does nothing when the same creation comes again (a retried request)', () => spec.given([created('PK1')]).when(create('PK1')).thenNothingHappens());
    it('refuses the same key id with another secret', () => spec.given([created('PK1')]).when(create('PK1', 'other')).thenThrows('idempotency_conflict'));
    it('revokes it, once', () => {
      spec.given([created('PK1')]).when(revoke('PK1')).then([revoked('PK1')]);
      spec.given([created('PK1'), revoked('PK1')]).when(revoke('PK1')).thenNothingHappens();
    });
  });

  describe(`when ${MAX_ACTIVE_KEYS} keys are active`, () => {
    const full = Array.from({ length: MAX_ACTIVE_KEYS }, (_, index) => created(`PK${index}`));
    it('refuses another', () => spec.given(full).when(create('PKX')).thenThrows('too_many_api_keys'));
    it('takes another once one is revoked', () => spec.given([...full, revoked('PK0')]).when(create('PKX')).then([created('PKX')]));
  });
});
