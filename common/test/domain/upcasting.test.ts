import {
  EVENT_SCHEMA_VERSIONS,
  evolve,
  initialUserState,
  stampEvents,
  UnreadableEventError,
  upcast,
  USER_EVENT_TYPES,
  type UserEvent,
} from '@user-service/common/domain';
import { created, erased, eventsFor, fieldsFor } from '@user-service/test-support';
import fc from 'fast-check';

const [creation] = eventsFor('ada', 0, created(fieldsFor(1)));
const live = evolve(initialUserState, creation!);

/** An erasure of ada as stored in `schemaVersion` with `data`. */
function storedErasure(schemaVersion: unknown, data: unknown): UserEvent {
  const [erasure] = eventsFor('ada', 1, erased());
  return { ...erasure!, ...upcast({ type: 'UserErased', schemaVersion, data }) } as UserEvent;
}

describe('upcasting events to the shape this version writes', () => {
  it('writes every type in its current schema', () => {
    const stamped = stampEvents('ada', 0, [created(fieldsFor(1)), erased()], {
      newEventId: () => 'e',
      now: () => new Date(0),
      partitionOf: () => 0,
    });
    expect(stamped.map((event) => event.schemaVersion)).toEqual([
      EVENT_SCHEMA_VERSIONS.UserCreated,
      EVENT_SCHEMA_VERSIONS.UserErased,
    ]);
    expect(EVENT_SCHEMA_VERSIONS).toEqual({
      UserCreated: 1,
      UserUpdated: 1,
      UserDeleted: 1,
      UserErased: 2,
    });
  });

  it('reads an erasure stored before it said whether it deleted a user as not saying', () => {
    for (const schemaVersion of [undefined, 1]) {
      expect(upcast({ type: 'UserErased', schemaVersion, data: {} })).toEqual({
        type: 'UserErased',
        schemaVersion: 2,
        data: { deleted: null },
      });
    }
    expect(evolve(live, storedErasure(undefined, {}))).toEqual({
      version: 2,
      user: null,
      erasure: 'erased',
    });
  });

  it('leaves an event of the current schema as it is', () => {
    const data = { deleted: true };
    expect(upcast({ type: 'UserErased', schemaVersion: 2, data })).toEqual({
      type: 'UserErased',
      schemaVersion: 2,
      data,
    });
    const fields = fieldsFor(1);
    expect(upcast({ type: 'UserCreated', data: fields })).toEqual({
      type: 'UserCreated',
      schemaVersion: 1,
      data: fields,
    });
  });

  it('refuses to fold a schema newer than it writes, or one that is no schema, naming it', () => {
    for (const schemaVersion of [3, 0, -1, 1.5, '2', null]) {
      const event = storedErasure(schemaVersion, { deleted: true, reason: 'newer' });
      expect(() => evolve(live, event)).toThrow(UnreadableEventError);
    }
    expect(() => evolve(live, storedErasure(3, {}))).toThrow(
      'UserErased of schema 3, and this version reads schemas 1 to 2',
    );
  });

  it('passes a type it does not know through untouched, for evolve to refuse', () => {
    const stored = { type: 'UserMerged', schemaVersion: 1, data: { into: 'bob' } };
    expect(upcast(stored)).toEqual(stored);
  });

  it('upcasts whatever it can once and for all: upcasting again changes nothing', () => {
    const bodies = fc.record({
      type: fc.constantFrom(...USER_EVENT_TYPES, 'UserMerged'),
      schemaVersion: fc.oneof(fc.constant(undefined), fc.integer({ min: -1, max: 4 })),
      data: fc.oneof(fc.dictionary(fc.string(), fc.jsonValue()), fc.jsonValue()),
    });
    fc.assert(
      fc.property(bodies, (stored) => {
        const before = structuredClone(stored);
        const once = upcast(stored);
        expect(stored).toEqual(before);
        expect(upcast(once)).toEqual(once);
      }),
    );
  });
});
