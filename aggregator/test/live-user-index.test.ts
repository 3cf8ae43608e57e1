import fc from 'fast-check';
import type { User } from '@user-service/common';
import { LiveUserIndex } from '../src/live-user-index';

const user = (id: string, group: number): User => ({
  id,
  name: `Name ${id}`,
  email: `${id}@example.com`,
  group,
});

describe('LiveUserIndex', () => {
  it('pages and counts exactly as sorting the live users would, whatever the changes', () => {
    const change = fc.record({
      id: fc.constantFrom('a', 'B', 'c', 'c-1', 'c_1', 'Z', '0', 'zz'),
      group: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    });
    const query = fc.record({
      group: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      after: fc.option(fc.constantFrom('', 'B', 'c', 'c0', '~'), { nil: undefined }),
      limit: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(
        fc.array(change, { maxLength: 40 }),
        query,
        (changes, { group, after, limit }) => {
          const index = new LiveUserIndex();
          const model = new Map<string, User>();
          for (const { id, group: newGroup } of changes) {
            const next = newGroup === null ? null : user(id, newGroup);
            index.set(id, next);
            if (next) model.set(id, next);
            else model.delete(id);
          }
          const expected = [...model.values()]
            .filter((held) => group === undefined || held.group === group)
            .filter((held) => after === undefined || held.id > after)
            .sort((x, y) => (x.id < y.id ? -1 : 1))
            .slice(0, limit);
          expect(
            index.page({
              limit,
              ...(group === undefined ? {} : { group }),
              ...(after === undefined ? {} : { after }),
            }),
          ).toEqual(expected);
          const counts = new Map<number, number>();
          for (const held of model.values())
            counts.set(held.group, (counts.get(held.group) ?? 0) + 1);
          expect(index.countByGroup()).toEqual(counts);
          expect(index.size).toBe(model.size);
        },
      ),
    );
  });

  it('counts one group, and answers nothing for a group without users', () => {
    const index = new LiveUserIndex();
    index.set('a', user('a', 1));
    index.set('b', user('b', 1));
    index.set('b', user('b', 2));
    expect(index.countByGroup(1)).toEqual(new Map([[1, 1]]));
    expect(index.countByGroup(3)).toEqual(new Map());
  });
});
