import fc from 'fast-check';
import type { User } from '@user-service/common/domain';
import { LiveUserIndex } from '../src/live-user-index';

const user = (id: string, group: number): User => ({
  id,
  name: `Name ${id}`,
  email: `${id}@example.com`,
  group,
});

describe('LiveUserIndex', () => {
  it('pages and counts exactly as sorting the live users would, whatever the changes and whenever asked', () => {
    const change = fc.record({
      kind: fc.constant('change' as const),
      id: fc.constantFrom('a', 'B', 'c', 'c-1', 'c_1', 'Z', '0', 'zz'),
      group: fc.option(fc.integer({ min: 0, max: 3 }), { nil: null }),
    });
    const query = fc.record({
      kind: fc.constant('query' as const),
      group: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
      after: fc.option(fc.constantFrom('', 'B', 'c', 'c0', '~'), { nil: undefined }),
      limit: fc.integer({ min: 1, max: 10 }),
    });
    fc.assert(
      fc.property(fc.array(fc.oneof(change, change, query), { maxLength: 60 }), (steps) => {
        const model = new Map<string, User>();
        const index = new LiveUserIndex((id) => model.get(id) ?? null);
        for (const step of steps) {
          if (step.kind === 'change') {
            const next = step.group === null ? null : user(step.id, step.group);
            index.change(step.id, model.get(step.id) ?? null, next);
            if (next) model.set(step.id, next);
            else model.delete(step.id);
            continue;
          }
          const { group, after, limit } = step;
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
        }
      }),
      { numRuns: 300 },
    );
  });

  it('counts one group, and answers nothing for a group without users', () => {
    const index = new LiveUserIndex(() => null);
    index.change('a', null, user('a', 1));
    index.change('b', null, user('b', 1));
    index.change('b', user('b', 1), user('b', 2));
    expect(index.countByGroup(1)).toEqual(new Map([[1, 1]]));
    expect(index.countByGroup(3)).toEqual(new Map());
  });
});
