import {
  aggregatorOf,
  CommandRejectedError,
  decide,
  foldEvents,
  stampEvents,
  stateAsOf,
  TooMuchContentionError,
  type UserCommand,
  type UserState,
} from '@user-service/common/domain';
import { type PersonalData } from '@user-service/common/personal-data';
import { type Store, VersionConflictError } from '@user-service/common/store';
import { v7 as uuidv7 } from 'uuid';
import type { GatewayMetrics } from './gateway-metrics';
import type { WrittenPositions } from './written-positions';
import type { WrittenVersions } from './written-versions';
import { loadUserState } from './user-state';

/** Losing this many races in a row for one user means heavy contention: ask the client to retry. */
const MAX_ATTEMPTS = 100;

export interface CommandContext {
  readonly store: Store;
  readonly personalData: PersonalData;
  readonly partitionOf: (userId: string) => number;
  readonly aggregatorCount: number;
  readonly written: WrittenVersions;
  readonly writtenPositions: WrittenPositions;
  readonly metrics: GatewayMetrics;
}

/**
 * Runs a command: decide against the user's exact state in the store, append with that
 * version expected. The store's one-event-per-version rule is the arbiter: a lost race is
 * decided again on the newer state, so concurrent updates all land and none is lost.
 *
 * `eventId`, derived from an Idempotency-Key, names the event the command stores: when an
 * earlier attempt stored it, the command is not run again and the state it left is answered.
 *
 * `precondition`, the request's If-Match/If-None-Match, is checked against the state each attempt
 * decides on, after the domain accepted the command (a 404 or 409 wins over a 412, as RFC 9110
 * §13.2.1 has it) and before anything is appended: it holds for the version the write replaces.
 *
 * Throws CommandRejectedError when the domain refuses the command, TooMuchContentionError
 * when it keeps losing races, EmailTakenError when the store refuses the email; how a client is
 * told is the HTTP layer's (toProblem).
 */
export async function execute(
  context: CommandContext,
  command: UserCommand,
  requestId: string,
  eventId?: string,
  precondition: (state: UserState) => void = () => undefined,
): Promise<UserState> {
  const { store, personalData, written, metrics } = context;
  if (eventId !== undefined) {
    const earlier = await stateLeftBy(store, personalData, eventId);
    if (earlier) return earlier;
  }
  for (let attempt = 1; ; attempt++) {
    const state = await loadUserState(store, personalData, command.userId);
    const decision = decide(command, state);
    if (!decision.ok) throw new CommandRejectedError(decision.error);
    precondition(state);
    if (decision.events.length === 0) return state;
    if (eventId !== undefined && decision.events.length > 1)
      throw new Error('a keyed command may decide one event only: its id is derived from the key');
    const events = stampEvents(command.userId, state.version, decision.events, {
      newEventId: eventId === undefined ? uuidv7 : () => eventId,
      now: () => new Date(),
      partitionOf: context.partitionOf,
      requestId,
    });
    let position: string;
    try {
      const sealed = await personalData.sealForAppend(command.userId, state.version, events);
      ({ position } = await store.events.append(
        command.userId,
        state.version,
        sealed.events,
        sealed.emailClaim,
      ));
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      const givingUp = attempt >= MAX_ATTEMPTS;
      metrics.appendConflicts.inc({ resolution: givingUp ? 'gave_up' : 'retried' });
      if (givingUp) throw new TooMuchContentionError(command.userId, attempt);
      continue;
    }
    const next = foldEvents(state, events);
    written.record(command.userId, { version: next.version, deleted: next.user === null });
    const partition = context.partitionOf(command.userId);
    context.writtenPositions.record(aggregatorOf(partition, context.aggregatorCount), position);
    return next;
  }
}

/** The user's state just after the stored event `eventId`, or undefined when none is stored. */
async function stateLeftBy(
  store: Store,
  personalData: PersonalData,
  eventId: string,
): Promise<UserState | undefined> {
  const stored = await store.events.readEvent(eventId);
  if (!stored) return undefined;
  const events = await store.events.readUserEvents(stored.userId);
  return stateAsOf(await personalData.openEvents(stored.userId, events), {
    version: stored.version,
  });
}
