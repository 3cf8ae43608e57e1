import { compareIds, type UserEvent, type UserEventBody } from '@user-service/common/domain';
import {
  created,
  deleted,
  eventsFor,
  fieldsFor,
  updated,
  userFor,
} from '@user-service/test-support';
import { UserProjection } from '../src/projection';

function applyAll(projection: UserProjection, events: readonly UserEvent[]): void {
  for (const event of events) projection.apply(event);
}

const adaEvents = eventsFor('ada', 0, created(fieldsFor(1)), updated({ group: 7 }));
const bobEvents = eventsFor('bob', 0, created(fieldsFor(2)), deleted());
const partitionOf = (events: readonly UserEvent[]) => events[0]!.partition;

describe('user projection: changes since the last snapshot', () => {
  it('hands over each user changed since the last call once, at its latest version, deleted ones included', () => {
    const projection = new UserProjection();
    applyAll(projection, [...adaEvents, ...bobEvents]);
    expect(projection.takeChanges()).toEqual([
      {
        userId: 'ada',
        partition: partitionOf(adaEvents),
        version: 2,
        user: { ...userFor('ada', 1), group: 7 },
      },
      { userId: 'bob', partition: partitionOf(bobEvents), version: 2, user: null },
    ]);
    expect(projection.takeChanges()).toEqual([]);
  });

  it('hands over only what changed after the last call', () => {
    const projection = new UserProjection();
    applyAll(projection, [...adaEvents, ...bobEvents]);
    projection.takeChanges();
    applyAll(projection, eventsFor('ada', 2, updated({ name: 'Ada' })));
    expect(projection.takeChanges().map(({ userId, version }) => ({ userId, version }))).toEqual([
      { userId: 'ada', version: 3 },
    ]);
  });

  it('gives changes back after a failed snapshot, so that the next one holds them at their latest version', () => {
    const projection = new UserProjection();
    applyAll(projection, [...adaEvents, ...bobEvents]);
    const failed = projection.takeChanges();
    applyAll(projection, eventsFor('ada', 2, updated({ group: 8 })));
    projection.restoreChanges(failed);
    const next = projection.takeChanges();
    expect(
      next
        .map(({ userId, version }) => ({ userId, version }))
        .sort((a, b) => compareIds(a.userId, b.userId)),
    ).toEqual([
      { userId: 'ada', version: 3 },
      { userId: 'bob', version: 2 },
    ]);
    expect(projection.takeChanges()).toEqual([]);
  });

  it('does not count users restored from a snapshot as changed', () => {
    const projection = new UserProjection([
      { userId: 'ada', partition: 1, version: 2, user: userFor('ada', 1) },
    ]);
    expect(projection.takeChanges()).toEqual([]);
    expect(projection.get('ada')).toEqual({ version: 2, user: userFor('ada', 1) });
  });

  it('leaves a parked user out of the changes: its last good state must not look current', () => {
    const projection = new UserProjection();
    applyAll(projection, adaEvents);
    const [unreadable] = eventsFor('ada', 2, {
      type: 'UserRenamed',
      data: {},
    } as unknown as UserEventBody);
    expect(projection.apply(unreadable!).kind).toBe('parked');
    expect(projection.takeChanges()).toEqual([]);
  });
});

describe('user projection: an index of live users built once', () => {
  it('pages and counts, once indexed, as a projection that kept its index all along', () => {
    const events = Array.from({ length: 30 }, (_, n) =>
      eventsFor(
        `u${String(n).padStart(2, '0')}`,
        0,
        created(fieldsFor(n % 3)),
        updated({ group: n % 4 }),
        ...(n % 5 === 0 ? [deleted()] : []),
      ),
    ).flat();
    const kept = new UserProjection();
    const deferred = new UserProjection();
    deferred.deferIndex();
    applyAll(kept, events);
    applyAll(deferred, events);
    deferred.indexNow();
    applyAll(deferred, eventsFor('u01', 2, updated({ group: 9 })));
    applyAll(kept, eventsFor('u01', 2, updated({ group: 9 })));

    for (const query of [{ limit: 100 }, { limit: 5, after: 'u07' }, { group: 9, limit: 10 }])
      expect(deferred.page(query)).toEqual(kept.page(query));
    expect(deferred.countByGroup()).toEqual(kept.countByGroup());
    expect(deferred.countByGroup().get(9)).toBe(1);
  });
});
