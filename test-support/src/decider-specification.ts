import {
  decide,
  type DomainError,
  foldEvents,
  initialUserState,
  type UserCommand,
  type UserEventBody,
  type UserState,
} from '@user-service/common/domain';
import { eventsFor } from './events';

export interface DeciderWhen {
  when(command: UserCommand): DeciderThen;
}

export interface DeciderThen {
  /** The command decides exactly these events; answers the state they lead to. */
  then(...expected: UserEventBody[]): UserState;
  /** The command is refused with this error, and decides nothing. */
  thenRejects(error: DomainError): void;
  /** The command is accepted but changes nothing: no event, so no write and no new version. */
  thenNothingHappened(): void;
}

/**
 * Given / when / then for the decider, run on the real `decide` and `evolve`. The given state is
 * always the events that lead to it, stamped for the command's user and folded as the service
 * folds them:
 *
 *   given(created(ada), deleted()).when(deleteUser).thenRejects({ code: 'UserNotFound', userId });
 */
export function given(...history: UserEventBody[]): DeciderWhen {
  return {
    when(command) {
      const state = foldEvents(initialUserState, eventsFor(command.userId, 0, ...history));
      const decision = decide(command, state);
      return {
        then(...expected) {
          expect(decision).toEqual({ ok: true, events: expected });
          return foldEvents(state, eventsFor(command.userId, state.version, ...expected));
        },
        thenRejects(error) {
          expect(decision).toEqual({ ok: false, error });
        },
        thenNothingHappened() {
          expect(decision).toEqual({ ok: true, events: [] });
        },
      };
    },
  };
}
