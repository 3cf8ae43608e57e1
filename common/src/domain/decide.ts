import type { UserEventBody } from './events';
import type { UserFields, UserPatch, UserState } from './user';

export type UserCommand =
  | { readonly type: 'CreateUser'; readonly userId: string; readonly fields: UserFields }
  | {
      readonly type: 'UpdateUser';
      readonly userId: string;
      readonly patch: UserPatch;
      readonly expectedVersion?: number;
    }
  | { readonly type: 'DeleteUser'; readonly userId: string; readonly expectedVersion?: number }
  /** Erases the personal data of every event ever stored for the id, and deletes a live user. */
  | { readonly type: 'EraseUser'; readonly userId: string };

export type DomainError =
  | { readonly code: 'UserNotFound'; readonly userId: string }
  | { readonly code: 'UserAlreadyExists'; readonly userId: string }
  | {
      readonly code: 'VersionMismatch';
      readonly userId: string;
      readonly expectedVersion: number;
      readonly actualVersion: number;
    };

export type Decision =
  | { readonly ok: true; readonly events: readonly UserEventBody[] }
  | { readonly ok: false; readonly error: DomainError };

/**
 * Turns a command into the events it causes, given the user's current state. An update that
 * changes nothing decides no events, so it costs no write and does not bump the version.
 */
export function decide(command: UserCommand, state: UserState): Decision {
  const { userId } = command;
  switch (command.type) {
    case 'CreateUser':
      if (state.user) return reject({ code: 'UserAlreadyExists', userId });
      return accept({ type: 'UserCreated', data: command.fields });
    case 'UpdateUser': {
      if (!state.user) return reject({ code: 'UserNotFound', userId });
      const mismatch = checkExpectedVersion(userId, command.expectedVersion, state);
      if (mismatch) return reject(mismatch);
      const changes = changedFields(state.user, command.patch);
      return changes ? accept({ type: 'UserUpdated', data: changes }) : { ok: true, events: [] };
    }
    case 'DeleteUser': {
      if (!state.user) return reject({ code: 'UserNotFound', userId });
      const mismatch = checkExpectedVersion(userId, command.expectedVersion, state);
      if (mismatch) return reject(mismatch);
      return accept({ type: 'UserDeleted', data: {} });
    }
    case 'EraseUser':
      if (state.version === 0) return reject({ code: 'UserNotFound', userId });
      // Erased already, and not created again since: nothing is left to erase.
      if (state.erasure === 'erased') return { ok: true, events: [] };
      // A live user, readable or not, is deleted by its erasure.
      return accept({
        type: 'UserErased',
        data: { deleted: state.user !== null || state.erasure === 'unreadable' },
      });
  }
}

function accept(event: UserEventBody): Decision {
  return { ok: true, events: [event] };
}

function reject(error: DomainError): Decision {
  return { ok: false, error };
}

function checkExpectedVersion(
  userId: string,
  expectedVersion: number | undefined,
  state: UserState,
): DomainError | undefined {
  if (expectedVersion === undefined || expectedVersion === state.version) return undefined;
  return { code: 'VersionMismatch', userId, expectedVersion, actualVersion: state.version };
}

function changedFields(current: UserFields, patch: UserPatch): UserPatch | undefined {
  const changes: { -readonly [K in keyof UserFields]?: UserFields[K] } = {};
  if (patch.name !== undefined && patch.name !== current.name) changes.name = patch.name;
  if (patch.email !== undefined && patch.email !== current.email) changes.email = patch.email;
  if (patch.group !== undefined && patch.group !== current.group) changes.group = patch.group;
  return Object.keys(changes).length > 0 ? changes : undefined;
}
