import type { UserEvent } from './events';
import { evolve } from './evolve';
import { initialUserState, type UserState } from './user';

/** Which past state to fold to: right after the user's event `version`, or as of a moment. */
export type AsOf = { readonly version: number } | { readonly at: Date };

/**
 * The user's state as of a past point, folded from all its events in version order. Undefined
 * when no event is at or before that point: the id had no such version, or no event by then.
 * As of a moment means after the highest version that occurred at or before it; versions are the
 * order of the log, so the events before that one count even if their clocks ran ahead.
 */
export function stateAsOf(events: readonly UserEvent[], asOf: AsOf): UserState | undefined {
  const last = lastEventIndex(events, asOf);
  if (last < 0) return undefined;
  let state = initialUserState;
  for (const event of events.slice(0, last + 1)) state = evolve(state, event);
  return state;
}

function lastEventIndex(events: readonly UserEvent[], asOf: AsOf): number {
  if ('version' in asOf) return events.findIndex((event) => event.version === asOf.version);
  const at = asOf.at.getTime();
  return events.findLastIndex((event) => event.occurredAt.getTime() <= at);
}
