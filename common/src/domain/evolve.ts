import type { Erasable, UserEvent } from './events';
import { UnreadableEventError } from './unreadable-event';
import { EVENT_SCHEMA_VERSIONS } from './upcasting';
import type { User, UserFields, UserPatch, UserState } from './user';

/**
 * Folds one event into the state. The caller guarantees per-user order (see VersionGate).
 * Exhaustive over the event types the code knows (the compiler checks it), and defensive about
 * what is actually stored: an event of another type or shape throws UnreadableEventError rather
 * than producing a state nobody decided.
 */
export function evolve(state: UserState, event: UserEvent): UserState {
  if (Object.hasOwn(EVENT_SCHEMA_VERSIONS, event.type)) checkSchema(event);
  switch (event.type) {
    case 'UserCreated': {
      const { name, email, group } = readFields(event, event.data);
      if (name === null || email === null) return unreadable(event);
      return { version: event.version, user: { id: event.userId, name, email, group } };
    }
    case 'UserUpdated': {
      const patch = readPatch(event, event.data);
      // An update of a user whose personal data is erased leaves it so, whatever it changed.
      if (state.erasure === 'unreadable') return unreadable(event);
      if (!state.user)
        throw new UnreadableEventError(
          event.eventId,
          event.userId,
          'an update of a user that does not exist',
        );
      if (patch.name === null || patch.email === null) return unreadable(event);
      // Neither personal field is null, checked just above.
      return { version: event.version, user: applyPatch(state.user, patch as UserPatch) };
    }
    case 'UserDeleted':
      return { version: event.version, user: null };
    case 'UserErased':
      return { version: event.version, user: null, erasure: 'erased' };
    default:
      return unknownType(event);
  }
}

/** Readers upcast every event they read, so any other schema is one this version cannot read. */
function checkSchema(event: UserEvent): void {
  const current = EVENT_SCHEMA_VERSIONS[event.type];
  if (event.schemaVersion === current) return;
  throw new UnreadableEventError(
    event.eventId,
    event.userId,
    `${event.type} of schema ${event.schemaVersion}, and this version reads schemas 1 to ${current}`,
  );
}

/** A live user whose personal data is erased: it is known to exist, and nothing more. */
function unreadable(event: UserEvent): UserState {
  return { version: event.version, user: null, erasure: 'unreadable' };
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

/** Typed `never`: adding an event type without folding it here fails to compile. */
function unknownType(event: never): never {
  const { eventId, userId, type } = event as { eventId: string; userId: string; type: unknown };
  throw new UnreadableEventError(eventId, userId, `unknown event type ${JSON.stringify(type)}`);
}

// Personal fields read null once erased.
const FIELD_CHECKS: { readonly [K in keyof UserFields]: (value: unknown) => boolean } = {
  name: (value) => typeof value === 'string' || value === null,
  email: (value) => typeof value === 'string' || value === null,
  group: (value) => Number.isSafeInteger(value),
};

function readPatch(event: UserEvent, data: unknown): Erasable<UserPatch> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new UnreadableEventError(event.eventId, event.userId, `${event.type} without data`);
  }
  for (const [key, value] of Object.entries(data)) {
    const check = Object.hasOwn(FIELD_CHECKS, key)
      ? FIELD_CHECKS[key as keyof UserFields]
      : undefined;
    if (!check)
      throw new UnreadableEventError(
        event.eventId,
        event.userId,
        `${event.type} with an unknown field "${key}"`,
      );
    if (!check(value))
      throw new UnreadableEventError(
        event.eventId,
        event.userId,
        `${event.type} with a malformed ${key}`,
      );
  }
  return data as Erasable<UserPatch>;
}

function readFields(event: UserEvent, data: unknown): Erasable<UserFields> {
  const patch = readPatch(event, data);
  const { name, email, group } = patch;
  if (name === undefined || email === undefined || group === undefined) {
    throw new UnreadableEventError(
      event.eventId,
      event.userId,
      `${event.type} without name, email and group`,
    );
  }
  return { name, email, group };
}
