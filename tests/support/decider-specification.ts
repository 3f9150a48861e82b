import { expect } from 'vitest';
import { fold, type Decider } from '../../domain/shared/decider.ts';
import { DomainError, type DomainErrorCode } from '../../domain/shared/domain-error.ts';

/** `given(events).when(command).then(events)` / `.thenThrows(code)` over a decider. */
export function deciderSpecification<Command, Event, State>(decider: Decider<Command, Event, State>) {
  return {
    given(history: Event[] = []) {
      return {
        when(command: Command) {
          const run = (): Event[] => decider.decide(command, fold(decider, history));
          return {
            then(expected: Event[]): void {
              expect(run()).toEqual(expected);
            },
            thenNothingHappens(): void {
              expect(run()).toEqual([]);
            },
            thenThrows(code: DomainErrorCode): void {
              let thrown: unknown;
              try {
                run();
              } catch (error) {
                thrown = error;
              }
              expect(thrown).toBeInstanceOf(DomainError);
              expect((thrown as DomainError).code).toBe(code);
            },
          };
        },
      };
    },
  };
}
