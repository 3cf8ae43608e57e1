import {
  decide,
  foldEvents,
  initialUserState,
  type User,
  type UserCommand,
  UnreadableEventError,
  type UserEvent,
  type UserEventBody,
  type UserState,
} from '@user-service/common';
import fc from 'fast-check';
import { created, eventsFor, fieldsFor } from '@user-service/test-support';

/** Decides `command` against the folded history and appends what it decides. */
function run(history: UserEvent[], command: UserCommand) {
  const state = foldEvents(initialUserState, history);
  const decision = decide(command, state);
  if (decision.ok) history.push(...eventsFor(command.userId, state.version, ...decision.events));
  return decision;
}

const ada = fieldsFor(1);

describe('decide and evolve', () => {
  it('creates a user at version 1 and rejects creating it again', () => {
    const history: UserEvent[] = [];
    run(history, { type: 'CreateUser', userId: 'u1', fields: ada });
    expect(foldEvents(initialUserState, history)).toEqual({ version: 1, user: { id: 'u1', ...ada } });
    expect(run(history, { type: 'CreateUser', userId: 'u1', fields: ada })).toEqual({
      ok: false,
      error: { code: 'UserAlreadyExists', userId: 'u1' },
    });
  });

  it('records only the fields an update changes, and nothing for an update that changes nothing', () => {
    const history: UserEvent[] = [];
    run(history, { type: 'CreateUser', userId: 'u1', fields: ada });
    const decision = run(history, { type: 'UpdateUser', userId: 'u1', patch: { name: ada.name, group: 9 } });
    expect(decision).toEqual({ ok: true, events: [{ type: 'UserUpdated', data: { group: 9 } }] });
    expect(run(history, { type: 'UpdateUser', userId: 'u1', patch: { group: 9 } })).toEqual({ ok: true, events: [] });
    expect(foldEvents(initialUserState, history)).toEqual({ version: 2, user: { id: 'u1', ...ada, group: 9 } });
  });

  it('lets a deleted id be created again, continuing its version count', () => {
    const history: UserEvent[] = [];
    run(history, { type: 'CreateUser', userId: 'u1', fields: ada });
    run(history, { type: 'DeleteUser', userId: 'u1' });
    expect(foldEvents(initialUserState, history)).toEqual({ version: 2, user: null });
    run(history, { type: 'CreateUser', userId: 'u1', fields: fieldsFor(2) });
    expect(foldEvents(initialUserState, history)).toEqual({ version: 3, user: { id: 'u1', ...fieldsFor(2) } });
  });

  it.each<UserCommand>([
    { type: 'UpdateUser', userId: 'ghost', patch: { group: 1 } },
    { type: 'DeleteUser', userId: 'ghost' },
  ])('answers not found for $type of an unknown user', (command) => {
    expect(decide(command, initialUserState)).toEqual({ ok: false, error: { code: 'UserNotFound', userId: 'ghost' } });
  });

  it('answers not found for a deleted user', () => {
    const deletedState: UserState = { version: 2, user: null };
    expect(decide({ type: 'DeleteUser', userId: 'u1' }, deletedState)).toMatchObject({
      ok: false,
      error: { code: 'UserNotFound' },
    });
  });

  it('rejects a write that expects another version, saying which one is current', () => {
    const live: UserState = { version: 4, user: { id: 'u1', ...ada } };
    const command: UserCommand = { type: 'UpdateUser', userId: 'u1', patch: { group: 3 }, expectedVersion: 3 };
    expect(decide(command, live)).toEqual({
      ok: false,
      error: { code: 'VersionMismatch', userId: 'u1', expectedVersion: 3, actualVersion: 4 },
    });
    expect(decide({ ...command, expectedVersion: 4 }, live).ok).toBe(true);
    expect(decide({ type: 'DeleteUser', userId: 'u1', expectedVersion: 1 }, live).ok).toBe(false);
  });

  describe('an event this code cannot fold', () => {
    const unreadable = (body: object, before: UserEvent[] = []) => {
      const [event] = eventsFor('u1', before.length, body as UserEventBody);
      return () => foldEvents(initialUserState, [...before, event!]);
    };

    it('is refused, not guessed at: unknown keys never reach the user', () => {
      const fold = unreadable({ type: 'UserCreated', data: { ...ada, admin: true } });
      expect(fold).toThrow(UnreadableEventError);
      expect(fold).toThrow(/UserCreated with an unknown field "admin"/);
    });

    it.each([
      ['a type written by a newer version', { type: 'UserRenamed', data: { name: 'X' } }, /unknown event type "UserRenamed"/],
      ['a create without an email', { type: 'UserCreated', data: { name: 'A', group: 1 } }, /without name, email and group/],
      ['a group that is not an integer', { type: 'UserCreated', data: { ...ada, group: '1' } }, /malformed group/],
      ['an update without data', { type: 'UserUpdated' }, /UserUpdated without data/],
    ])('throws UnreadableEventError naming the event for %s', (_, body, message) => {
      const fold = unreadable(body, eventsFor('u1', 0, created(ada)));
      expect(fold).toThrow(UnreadableEventError);
      expect(fold).toThrow(message);
    });

    it('refuses an update of a user that was never created', () => {
      expect(unreadable({ type: 'UserUpdated', data: { group: 2 } })).toThrow(/update of a user that does not exist/);
    });
  });

  it('agrees with a plain model of users for any sequence of commands', () => {
    const ids = fc.constantFrom('a', 'b');
    const fields = fc.record({
      name: fc.constantFrom('Ann', 'Bob'),
      email: fc.constantFrom('x@example.com', 'y@example.com'),
      group: fc.integer({ min: 0, max: 2 }),
    });
    const command: fc.Arbitrary<UserCommand> = fc.oneof(
      fc.record({ type: fc.constant('CreateUser' as const), userId: ids, fields }),
      fc.record({
        type: fc.constant('UpdateUser' as const),
        userId: ids,
        patch: fc.record(
          { name: fields.map((f) => f.name), group: fields.map((f) => f.group) },
          { requiredKeys: [] },
        ),
      }),
      fc.record({ type: fc.constant('DeleteUser' as const), userId: ids }),
    );

    fc.assert(
      fc.property(fc.array(command, { maxLength: 30 }), (commands) => {
        const histories = new Map<string, UserEvent[]>();
        const model = new Map<string, User>();
        for (const next of commands) {
          const history = histories.get(next.userId) ?? [];
          histories.set(next.userId, history);
          const accepted = run(history, next).ok;
          const current = model.get(next.userId);
          if (next.type === 'CreateUser') {
            expect(accepted).toBe(!current);
            if (!current) model.set(next.userId, { id: next.userId, ...next.fields });
          } else if (next.type === 'UpdateUser') {
            expect(accepted).toBe(current !== undefined);
            if (current) model.set(next.userId, { ...current, ...next.patch });
          } else {
            expect(accepted).toBe(current !== undefined);
            model.delete(next.userId);
          }
        }
        for (const [userId, history] of histories) {
          const state = foldEvents(initialUserState, history);
          expect(state.user).toEqual(model.get(userId) ?? null);
          expect(state.version).toBe(history.length);
        }
      }),
    );
  });
});
