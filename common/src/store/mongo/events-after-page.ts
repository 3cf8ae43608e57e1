import type { UserEvent } from '../../domain';
import type { StoredUser } from '../event-store';

/**
 * The user read with all its events: when the one command came back with a full page of them,
 * the rest are read after it, a page at a time (rare: a backlog no aggregator snapshotted). Events
 * are immutable, so pages read later only add the newer ones.
 */
export async function withEventsAfterPage(
  first: StoredUser,
  pageSize: number,
  page: (afterVersion: number, limit: number) => Promise<UserEvent[]>,
): Promise<StoredUser> {
  if (first.events.length < pageSize) return first;
  const events = [...first.events];
  for (;;) {
    const last = events.at(-1);
    const next = await page(last?.version ?? 0, pageSize);
    events.push(...next);
    if (next.length < pageSize) return { ...first, events };
  }
}
