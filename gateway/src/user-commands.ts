import {
  CommandRejectedError,
  decide,
  foldEvents,
  stampEvents,
  TooMuchContentionError,
  type UserCommand,
  type UserEventBody,
  type UserState,
} from '@user-service/common/domain';
import { type CommitPosition, VersionConflictError } from '@user-service/common/store';
import { setTimeout as sleep } from 'node:timers/promises';
import { v7 as uuidv7 } from 'uuid';
import type { GatewayMetrics } from './gateway-metrics';
import type { RememberedOutcome } from '@user-service/common/store';
import type { StoredWrite, UserLog } from './user-log';
import type { WriteOutcome } from './write-outcome';
import type { WrittenPositions } from './written-positions';
import type { WrittenVersions } from './written-versions';

/** Losing this many races in a row for one user means heavy contention: ask the client to retry. */
const MAX_ATTEMPTS = 100;
/** The longest pause between two attempts after lost races, so that racers spread out. */
const MAX_BACKOFF_MS = 16;

export interface CommandContext {
  readonly userLog: UserLog;
  readonly partitionOf: (userId: string) => number;
  readonly written: WrittenVersions;
  readonly writtenPositions: WrittenPositions;
  readonly metrics: GatewayMetrics;
}

/** What an Idempotency-Key gives a write: the id of its event, and where its outcome is kept. */
export interface KeyedWrite extends Omit<RememberedOutcome, 'outcome'> {
  readonly eventId: string;
  /**
   * The id a release before keyed fingerprints derived for the same request
   * (idempotency-key.ts, legacyFingerprintOf): an earlier attempt it ran may have stored its
   * event under it. Derived only when looked for: most keyed writes never do.
   */
  readonly legacyEventId: () => string;
  /** No earlier attempt of this request can have stored anything: nothing to look for first. */
  readonly fresh: boolean;
}

export interface WriteRequest {
  readonly requestId: string;
  readonly keyed?: KeyedWrite | undefined;
  /**
   * The request's If-Match/If-None-Match, checked against the state each attempt decides on,
   * after the domain accepted the command (a 404 or 409 wins over a 412, as RFC 9110 §13.2.1 has
   * it) and before anything is appended: it holds for the version the write replaces.
   */
  readonly precondition?: (state: UserState) => void;
  /** The response to the state the write leaves: remembered with a keyed write's events. */
  readonly answer: (state: UserState) => WriteOutcome;
  /**
   * Told where the write's events (or an earlier attempt's, answered again) were committed: the
   * route answers the client a consistency token for it.
   */
  readonly written?: (partition: number, position: CommitPosition) => void;
}

export interface WriteAnswer {
  readonly outcome: WriteOutcome;
  /** True when the outcome was remembered with the events (no `finish` needed). */
  readonly remembered: boolean;
}

/**
 * Runs a command: load, decide, append. The store's one-event-per-version rule is the arbiter: a
 * lost race is decided again on the newer state, so concurrent updates all land and none is lost.
 * A create starts from a user taken to be new without reading it (most are); if it is not, the
 * append says so and the create is decided again on the state read.
 *
 * A keyed command's event id is derived from its key: an earlier attempt that stored it is found
 * (first, unless the key was fresh; and again before a refusal is answered, since the refusal may
 * be of the client's own earlier write), and its state answered instead of writing again.
 *
 * Throws CommandRejectedError when the domain refuses the command, TooMuchContentionError when
 * it keeps losing races, EmailTakenError when the store refuses the email; how a client is told
 * is the HTTP layer's (toProblem).
 */
export async function execute(
  context: CommandContext,
  command: UserCommand,
  request: WriteRequest,
): Promise<WriteAnswer> {
  const { userLog: log } = context;
  const { keyed } = request;
  if (keyed && !keyed.fresh) {
    const earlier = await earlierAttempt(log, keyed);
    if (earlier) return replayed(context, command.userId, request, earlier);
  }
  // An erasure decides on the sealed user: it must not depend on reading what it erases.
  const load = (userId: string) =>
    command.type === 'EraseUser' ? log.loadSealed(userId) : log.load(userId);
  // A create starts from a user taken to be new, not read: `exact` says whether `loaded` was.
  let exact = command.type !== 'CreateUser';
  let loaded = exact ? await load(command.userId) : log.unwritten();
  for (let conflicts = 0; ;) {
    const decided = decideOn(command, loaded.state, request);
    if (decided.kind === 'refused') {
      if (!exact) {
        loaded = await load(command.userId);
        exact = true;
        continue;
      }
      const earlier = keyed && (await earlierAttempt(log, keyed));
      if (earlier) return replayed(context, command.userId, request, earlier);
      throw decided.error;
    }
    if (decided.events.length === 0)
      return { outcome: request.answer(loaded.state), remembered: false };
    if (keyed && decided.events.length > 1)
      throw new Error('a keyed command may decide one event only: its id is derived from the key');
    const events = stampEvents(command.userId, loaded.state.version, decided.events, {
      newEventId: keyed ? () => keyed.eventId : uuidv7,
      now: () => new Date(),
      partitionOf: context.partitionOf,
      requestId: request.requestId,
    });
    const next = foldEvents(loaded.state, events);
    const outcome = request.answer(next);
    try {
      const remember = keyed && {
        key: keyed.key,
        token: keyed.token,
        expiresAt: keyed.expiresAt,
        outcome,
      };
      const result = await log.append(loaded, events, remember);
      if (result.outcome === 'alreadyStored' && keyed) {
        // This request's event, stored by an earlier attempt: answer the state it left.
        const earlier = await log.stateAfter(keyed.eventId);
        if (earlier) return replayed(context, command.userId, request, earlier);
      }
      recordOwnWrite(context, request, command.userId, next, result.position);
      return { outcome, remembered: keyed !== undefined };
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
      // A create taken for new that was not lost no race: it learns that the user exists.
      if (exact) {
        conflicts += 1;
        const givingUp = conflicts >= MAX_ATTEMPTS;
        context.metrics.appendConflicts.inc({ resolution: givingUp ? 'gave_up' : 'retried' });
        if (givingUp) throw new TooMuchContentionError(command.userId, conflicts);
        await backOff(conflicts);
      }
      loaded = await load(command.userId);
      exact = true;
    }
  }
}

/**
 * The state an earlier attempt of this keyed request left, found by the id its event was stored
 * under: the one derived now, or the one a release before derived.
 */
async function earlierAttempt(log: UserLog, keyed: KeyedWrite): Promise<StoredWrite | undefined> {
  return (await log.stateAfter(keyed.eventId)) ?? (await log.stateAfter(keyed.legacyEventId()));
}

type Decided =
  | { readonly kind: 'accepted'; readonly events: readonly UserEventBody[] }
  | { readonly kind: 'refused'; readonly error: unknown };

/** The domain's decision and the request's preconditions, on one state. */
function decideOn(command: UserCommand, state: UserState, request: WriteRequest): Decided {
  const decision = decide(command, state);
  if (!decision.ok) return { kind: 'refused', error: new CommandRejectedError(decision.error) };
  try {
    request.precondition?.(state);
  } catch (error) {
    return { kind: 'refused', error };
  }
  return { kind: 'accepted', events: decision.events };
}

/** An earlier attempt's write, answered again, and read-your-writes recorded for it too. */
function replayed(
  context: CommandContext,
  userId: string,
  request: WriteRequest,
  earlier: StoredWrite,
): WriteAnswer {
  recordOwnWrite(context, request, userId, earlier.state, earlier.position);
  return { outcome: request.answer(earlier.state), remembered: false };
}

/**
 * Read-your-writes: this gateway's next reads of the user, and lists, wait for this write; the
 * client is answered a token that makes any gateway's wait for it too.
 */
function recordOwnWrite(
  context: CommandContext,
  request: WriteRequest,
  userId: string,
  state: UserState,
  position: CommitPosition,
): void {
  const partition = context.partitionOf(userId);
  context.written.record(userId, { version: state.version, deleted: state.user === null });
  context.writtenPositions.record(partition, position);
  request.written?.(partition, position);
}

/**
 * The first lost race is decided again at once (the usual case: one other writer); after that,
 * a pause of up to a few milliseconds, random, so that a crowd of writers of one user spreads out
 * instead of colliding again in step.
 */
async function backOff(conflicts: number): Promise<void> {
  if (conflicts < 2) return;
  await sleep(Math.random() * Math.min(2 ** (conflicts - 1), MAX_BACKOFF_MS));
}
