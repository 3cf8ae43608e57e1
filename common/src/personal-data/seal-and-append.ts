import type { UserEvent } from '../domain';
import { VersionConflictError } from '../store/errors';
import type {
  AppendEffects,
  AppendResult,
  EventStore,
  RememberedOutcome,
} from '../store/event-store';
import { isWiped } from './key-bytes';
import { type DataKey, holdsPersonalData, type PersonalData } from './personal-data';

/** Where a write starts: the version its events follow, and the key of its user, if any. */
export interface AppendBase {
  readonly version: number;
  /** Undefined when the user has no key: never written, or erased. */
  readonly key: DataKey | undefined;
}

/**
 * Appends plain events of one user as every writer must, in this order:
 * 1. the email claim is hashed from the events' plain text (the store never sees an email);
 * 2. the personal fields are sealed with the user's key, or with a new one for a user that has
 *    none and is given personal data (a create; a re-create after an erasure). An update of a
 *    user whose key is gone was decided on a state an erasure has since overtaken: a conflict;
 * 3. the events are appended with everything they change beside themselves, in ONE atomic step
 *    of the store: the claim, the new key, or (an erasure) the destruction of the key, and the
 *    outcome of the keyed request carrying them, sealed with the same key. So no order between
 *    these has to survive a crash: an erasure's key is gone exactly when its event is stored;
 * 4. this process then keeps the new key, or forgets the destroyed one.
 */
export async function sealAndAppend(
  store: EventStore,
  personalData: PersonalData,
  base: AppendBase,
  events: readonly UserEvent[],
  outcome?: RememberedOutcome,
): Promise<AppendResult> {
  const [first] = events;
  if (!first) throw new Error('append needs at least one event');
  const { userId } = first;
  const erases = events.some((event) => event.type === 'UserErased');
  const emailClaim = await personalData.emailClaimOf(events);
  const created =
    !base.key && events.some(holdsPersonalData) ? newKeyFor(personalData, base, events) : undefined;
  const key = base.key ?? created?.key;
  // Wiped while this write awaited the claim's hash: this process let the key go (an erasure
  // here, or the cache's bound), so the state it decided on may be overtaken. Sealing with zeros
  // would store the data as good as plain: decide again instead.
  if (key && isWiped(key.key)) throw new VersionConflictError(userId, base.version);
  const effects: AppendEffects = {
    emailClaim,
    dataKey: created
      ? { kind: 'create', key: created.wrapped }
      : erases
        ? { kind: 'destroy' }
        : undefined,
    outcome: outcome && {
      ...outcome,
      outcome: personalData.sealOutcomeWith(erases ? undefined : key, outcome.outcome),
    },
  };
  const sealed = key ? personalData.sealEvents(key, events) : [...events];
  const result = await store.append(userId, base.version, sealed, effects);
  if (erases) personalData.forget(userId);
  else if (created) personalData.keep(userId, created.key);
  return result;
}

function newKeyFor(personalData: PersonalData, base: AppendBase, events: readonly UserEvent[]) {
  const [first] = events;
  if (!first) throw new Error('append needs at least one event');
  if (!events.some((event) => event.type === 'UserCreated'))
    throw new VersionConflictError(first.userId, base.version);
  return personalData.newKey(first.userId);
}
