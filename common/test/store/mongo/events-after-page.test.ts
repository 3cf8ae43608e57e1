import { created, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import type { UserEvent } from '@user-service/common/domain';
import type { StoredUser } from '@user-service/common/store';
import { withEventsAfterPage } from '../../../src/store/mongo/events-after-page';

const history = eventsFor(
  'ann',
  0,
  created(fieldsFor(1)),
  ...Array.from({ length: 9 }, (_, n) => updated({ group: n + 2 })),
);

/** The user as the one command would answer it: its first `count` events. */
const firstRead = (count: number): StoredUser => ({
  snapshot: null,
  events: history.slice(0, count),
  dataKey: null,
});

/** Pages of `history` after a version, recording what was asked. */
function pages() {
  const asked: Array<{ afterVersion: number; limit: number }> = [];
  const page = (afterVersion: number, limit: number): Promise<UserEvent[]> => {
    asked.push({ afterVersion, limit });
    return Promise.resolve(history.filter((event) => event.version > afterVersion).slice(0, limit));
  };
  return { asked, page };
}

describe('the one-command user read past a full page of events', () => {
  it('asks nothing more when the events fit in the command', async () => {
    const { asked, page } = pages();
    const stored = await withEventsAfterPage(firstRead(2), 3, page);
    expect(stored.events.map(({ version }) => version)).toEqual([1, 2]);
    expect(asked).toEqual([]);
  });

  it('reads the rest a page at a time after a full first page, every event once and in order', async () => {
    const { asked, page } = pages();
    const stored = await withEventsAfterPage(firstRead(3), 3, page);
    expect(stored.events.map(({ version }) => version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(asked).toEqual([
      { afterVersion: 3, limit: 3 },
      { afterVersion: 6, limit: 3 },
      { afterVersion: 9, limit: 3 },
    ]);
  });

  it('stops at an empty page when the events ended on a page boundary', async () => {
    const { asked, page } = pages();
    const stored = await withEventsAfterPage(firstRead(5), 5, page);
    expect(stored.events).toHaveLength(10);
    expect(asked.map(({ afterVersion }) => afterVersion)).toEqual([5, 10]);
  });

  it('fails as the page read fails: no user from part of its events', async () => {
    const failing = () => Promise.reject(new Error('store unavailable'));
    await expect(withEventsAfterPage(firstRead(3), 3, failing)).rejects.toThrow(
      'store unavailable',
    );
  });
});
