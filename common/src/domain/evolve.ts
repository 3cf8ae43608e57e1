import type { UserEvent } from './events';
import type { User, UserPatch, UserState } from './user';

/** Folds one event into the state. The caller guarantees per-user order (see VersionGate). */
export function evolve(state: UserState, event: UserEvent): UserState {
  switch (event.type) {
    case 'UserCreated': {
      const { name, email, group } = event.data;
      return { version: event.version, user: { id: event.userId, name, email, group } };
    }
    case 'UserUpdated':
      return { version: event.version, user: state.user && applyPatch(state.user, event.data) };
    case 'UserDeleted':
      return { version: event.version, user: null };
  }
}

export function foldEvents(state: UserState, events: Iterable<UserEvent>): UserState {
  let folded = state;
  for (const event of events) folded = evolve(folded, event);
  return folded;
}

// Built field by field rather than spread, so that nothing else stored in an event can leak into a user.
export function applyPatch(user: User, patch: UserPatch): User {
  return {
    id: user.id,
    name: patch.name ?? user.name,
    email: patch.email ?? user.email,
    group: patch.group ?? user.group,
  };
}
