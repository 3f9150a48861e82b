import { DomainError } from '../../domain/shared/domain-error.ts';

/**
 * A refusal that still wrote events (a rejected order, its closed hold): the answer carries the
 * position of the last one, so the client can read its own writes even after a 422.
 */
export class RefusalWithPosition extends DomainError {
  constructor(
    refusal: DomainError,
    readonly position: bigint | undefined,
  ) {
    super(refusal.code, refusal.message, refusal.details);
    this.name = 'RefusalWithPosition';
  }
}
