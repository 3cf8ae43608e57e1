import {
  decide,
  type DomainError,
  foldEvents,
  HttpProblem,
  loadUserState,
  stampEvents,
  type Store,
  type UserCommand,
  type UserState,
  VersionConflictError,
} from '@user-service/common';
import { v4 as uuidv4, v7 as uuidv7 } from 'uuid';
import type { GatewayMetrics } from './gateway-metrics';
import type { WrittenVersions } from './written-versions';

/** Losing this many races in a row for one user means heavy contention: ask the client to retry. */
const MAX_ATTEMPTS = 100;

export interface CommandContext {
  readonly store: Store;
  readonly partitionOf: (userId: string) => number;
  readonly written: WrittenVersions;
  readonly metrics: GatewayMetrics;
}

export function newUserId(): string {
  return uuidv4();
}

/**
 * Runs a command: decide against the user's exact state in the store, append with that
 * version expected. The store's one-event-per-version rule is the arbiter: a lost race is
 * decided again on the newer state, so concurrent updates all land and none is lost.
 */
export async function execute(context: CommandContext, command: UserCommand): Promise<UserState> {
  const { store, written, metrics } = context;
  for (let attempt = 1; ; attempt++) {
    const state = await loadUserState(store, command.userId);
    const decision = decide(command, state);
    if (!decision.ok) throw domainProblem(decision.error);
    if (decision.events.length === 0) return state;
    const events = stampEvents(command.userId, state.version, decision.events, {
      newEventId: uuidv7,
      now: () => new Date(),
      partitionOf: context.partitionOf,
    });
    try {
      await store.events.append(command.userId, state.version, events);
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      const givingUp = attempt >= MAX_ATTEMPTS;
      metrics.appendConflicts.inc({ resolution: givingUp ? 'gave_up' : 'retried' });
      if (givingUp) {
        throw new HttpProblem(503, 'contention', 'Service Unavailable', 'Too many concurrent writes to this user', undefined, {
          'Retry-After': '1',
        });
      }
      continue;
    }
    const next = foldEvents(state, events);
    written.record(command.userId, { version: next.version, deleted: next.user === null });
    return next;
  }
}

function domainProblem(error: DomainError): HttpProblem {
  switch (error.code) {
    case 'UserNotFound':
      return new HttpProblem(404, 'user-not-found', 'Not Found', `No user ${error.userId}`);
    case 'UserAlreadyExists':
      return new HttpProblem(409, 'user-exists', 'Conflict', `User ${error.userId} already exists`);
    case 'VersionMismatch':
      return new HttpProblem(
        412,
        'version-mismatch',
        'Precondition Failed',
        `User ${error.userId} is at version ${error.actualVersion}, not ${error.expectedVersion}`,
      );
  }
}
