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
} from '@user-service/common/domain';
import fc from 'fast-check';
import {
  created,
  deleted,
  erased,
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

const eraseUser = (userId: string): UserCommand => ({ type: 'EraseUser', userId });

/** What a user's events read once the data key that sealed them is destroyed. */
const createdUnreadably = (group: number): UserEventBody => ({
  type: 'UserCreated',
  data: { name: null, email: null, group },
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

  describe('erasing a user’s personal data', () => {
    it('answers not found for an id that never had an event', () => {
      given().when(eraseUser('ghost')).thenRejects({ code: 'UserNotFound', userId: 'ghost' });
    });

    it('erases a live user, who then reads as erased rather than as a user', () => {
      const state = given(created(ada)).when(eraseUser('u1')).then(erased());
      expect(state).toEqual({ version: 2, user: null, erasure: 'erased' });
    });

    it('erases a deleted user too: the personal data of its events is still stored', () => {
      const state = given(created(ada), deleted()).when(eraseUser('u1')).then(erased(false));
      expect(state).toEqual({ version: 3, user: null, erasure: 'erased' });
    });

    it('says an erasure deleted a live user whose personal data no longer opens', () => {
      given(createdUnreadably(1)).when(eraseUser('u1')).then(erased(true));
    });

    it('decides nothing for a user erased already, so erasing again is harmless', () => {
      given(created(ada), erased()).when(eraseUser('u1')).thenNothingHappened();
    });

    it('erases again an id created again after its erasure', () => {
      const state = given(created(ada), erased(), created(fieldsFor(2)))
        .when(eraseUser('u1'))
        .then(erased());
      expect(state).toEqual({ version: 4, user: null, erasure: 'erased' });
    });

    it('lets an erased id be created again, as a user with nothing of the erased one', () => {
      const state = given(created(ada), erased())
        .when(createUser('u1', fieldsFor(2)))
        .then(created(fieldsFor(2)));
      expect(state).toEqual({ version: 3, user: userFor('u1', 2) });
    });

    it('folds events whose key is gone to an unreadable user, and an update after them too', () => {
      const fold = (...bodies: UserEventBody[]) =>
        foldEvents(initialUserState, eventsFor('u1', 0, ...bodies));

      expect(fold(createdUnreadably(1))).toEqual({ version: 1, user: null, erasure: 'unreadable' });
      expect(fold(createdUnreadably(1), updated({ group: 2 }))).toEqual({
        version: 2,
        user: null,
        erasure: 'unreadable',
      });
      for (const data of [{ name: null }, { email: null }]) {
        expect(fold(created(ada), { type: 'UserUpdated', data })).toEqual({
          version: 2,
          user: null,
          erasure: 'unreadable',
        });
      }
    });
  });

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

    it('says in its log line which event of which user it is', () => {
      const [event] = eventsFor('u1', 0, {
        type: 'UserRenamed',
        data: {},
      } as unknown as UserEventBody);
      let thrown: unknown;
      try {
        foldEvents(initialUserState, [event!]);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toMatchObject({
        name: 'UnreadableEventError',
        message: `event ${event!.eventId} of user u1 cannot be read: unknown event type "UserRenamed"`,
      });
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
      [
        'a name that is not a string',
        { type: 'UserCreated', data: { ...ada, name: 42 } },
        /UserCreated with a malformed name/,
      ],
      [
        'an email that is not a string',
        { type: 'UserUpdated', data: { email: 42 } },
        /UserUpdated with a malformed email/,
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
