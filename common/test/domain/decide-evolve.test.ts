import {
  decide,
  foldEvents,
  initialUserState,
  type User,
  type UserCommand,
  UnreadableEventError,
  type UserEvent,
  type UserEventBody,
  type UserPatch,
} from '@user-service/common';
import fc from 'fast-check';
import {
  created,
  deleted,
  eventsFor,
  fieldsFor,
  given,
  updated,
  userFor,
} from '@user-service/test-support';

const ada = fieldsFor(1);
const createUser = (userId: string, fields = ada): UserCommand => ({
  type: 'CreateUser',
  userId,
  fields,
});
const updateUser = (userId: string, patch: UserPatch, expectedVersion?: number): UserCommand => ({
  type: 'UpdateUser',
  userId,
  patch,
  ...(expectedVersion === undefined ? {} : { expectedVersion }),
});
const deleteUser = (userId: string, expectedVersion?: number): UserCommand => ({
  type: 'DeleteUser',
  userId,
  ...(expectedVersion === undefined ? {} : { expectedVersion }),
});

describe('decide and evolve', () => {
  it('creates a user at version 1', () => {
    const state = given().when(createUser('u1')).then(created(ada));
    expect(state).toEqual({ version: 1, user: userFor('u1', 1) });
  });

  it('rejects creating a live user again', () => {
    given(created(ada))
      .when(createUser('u1'))
      .thenRejects({ code: 'UserAlreadyExists', userId: 'u1' });
  });

  it('records only the fields an update changes', () => {
    const state = given(created(ada))
      .when(updateUser('u1', { name: ada.name, group: 9 }))
      .then(updated({ group: 9 }));
    expect(state).toEqual({ version: 2, user: { ...userFor('u1', 1), group: 9 } });
  });

  it('decides nothing for an update that changes nothing, so the version stays', () => {
    given(created(ada), updated({ group: 9 }))
      .when(updateUser('u1', { group: 9 }))
      .thenNothingHappened();
    given(created(ada))
      .when(updateUser('u1', { name: ada.name, email: ada.email }))
      .thenNothingHappened();
  });

  it('deletes a live user, leaving its version counted', () => {
    const state = given(created(ada)).when(deleteUser('u1')).then(deleted());
    expect(state).toEqual({ version: 2, user: null });
  });

  it('lets a deleted id be created again, continuing its version count', () => {
    const state = given(created(ada), deleted())
      .when(createUser('u1', fieldsFor(2)))
      .then(created(fieldsFor(2)));
    expect(state).toEqual({ version: 3, user: userFor('u1', 2) });
  });

  it.each<UserCommand>([updateUser('ghost', { group: 1 }), deleteUser('ghost')])(
    'answers not found for $type of an unknown user',
    (command) => {
      given().when(command).thenRejects({ code: 'UserNotFound', userId: 'ghost' });
    },
  );

  it.each<UserCommand>([updateUser('u1', { group: 1 }), deleteUser('u1')])(
    'answers not found for $type of a deleted user',
    (command) => {
      given(created(ada), deleted())
        .when(command)
        .thenRejects({ code: 'UserNotFound', userId: 'u1' });
    },
  );

  describe('a write that expects a version', () => {
    const atVersion4 = [
      created(ada),
      updated({ group: 2 }),
      updated({ group: 3 }),
      updated({ group: 4 }),
    ];

    it('is rejected when the user is at another one, saying which one is current', () => {
      given(...atVersion4)
        .when(updateUser('u1', { group: 3 }, 3))
        .thenRejects({
          code: 'VersionMismatch',
          userId: 'u1',
          expectedVersion: 3,
          actualVersion: 4,
        });
      given(...atVersion4)
        .when(deleteUser('u1', 1))
        .thenRejects({
          code: 'VersionMismatch',
          userId: 'u1',
          expectedVersion: 1,
          actualVersion: 4,
        });
    });

    it('goes through when it expects the current one', () => {
      given(...atVersion4)
        .when(updateUser('u1', { group: 3 }, 4))
        .then(updated({ group: 3 }));
      given(...atVersion4)
        .when(deleteUser('u1', 4))
        .then(deleted());
    });
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
      [
        'a type written by a newer version',
        { type: 'UserRenamed', data: { name: 'X' } },
        /unknown event type "UserRenamed"/,
      ],
      [
        'a create without an email',
        { type: 'UserCreated', data: { name: 'A', group: 1 } },
        /without name, email and group/,
      ],
      [
        'a group that is not an integer',
        { type: 'UserCreated', data: { ...ada, group: '1' } },
        /malformed group/,
      ],
      ['an update without data', { type: 'UserUpdated' }, /UserUpdated without data/],
    ])('throws UnreadableEventError naming the event for %s', (_, body, message) => {
      const fold = unreadable(body, eventsFor('u1', 0, created(ada)));
      expect(fold).toThrow(UnreadableEventError);
      expect(fold).toThrow(message);
    });

    it('refuses an update of a user that was never created', () => {
      expect(unreadable({ type: 'UserUpdated', data: { group: 2 } })).toThrow(
        /update of a user that does not exist/,
      );
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
          const state = foldEvents(initialUserState, history);
          const decision = decide(next, state);
          if (decision.ok)
            histories.set(next.userId, [
              ...history,
              ...eventsFor(next.userId, state.version, ...decision.events),
            ]);
          const current = model.get(next.userId);
          if (next.type === 'CreateUser') {
            expect(decision.ok).toBe(!current);
            if (!current) model.set(next.userId, { id: next.userId, ...next.fields });
          } else if (next.type === 'UpdateUser') {
            expect(decision.ok).toBe(current !== undefined);
            if (current) model.set(next.userId, { ...current, ...next.patch });
          } else {
            expect(decision.ok).toBe(current !== undefined);
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
