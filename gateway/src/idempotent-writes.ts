import { errorFields, type Logger } from '@user-service/common/observability';
import { type IdempotentAttempt, type Store, type StoredOutcome } from '@user-service/common/store';
import { type PersonalData } from '@user-service/common/personal-data';
import { problems, requestIdOf, toProblem } from '@user-service/common/http';
import type { Request, RequestHandler, Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { GatewayMetrics } from './gateway-metrics';
import {
  canonicalRequest,
  idempotencyKeyOf,
  type KeyedIds,
  keyedIds,
  legacyFingerprintOf,
} from './idempotency-key';
import type { KeyedWrite, WriteAnswer } from './user-commands';
import type { WrittenVersions } from './written-versions';
import { problemOutcome, sendOutcome, type WriteOutcome } from './write-outcome';

export const DEFAULT_IDEMPOTENCY_TTL_HOURS = 24;
/**
 * How long a gateway holds a key while carrying its request out before another may take over
 * (its process presumably died). Far above a write's own bound (a few store calls, each
 * answered or given up within STORE_TIMEOUT_MS); taking over too early costs no second write,
 * only a second attempt, since both derive the same event id.
 */
export const DEFAULT_IDEMPOTENCY_LEASE_MS = 10_000;

export interface IdempotencySettings {
  /** How long an outcome is remembered (IDEMPOTENCY_TTL_HOURS). */
  readonly ttlMs: number;
  readonly leaseMs: number;
  readonly now: () => Date;
}

export interface IdempotencyContext {
  readonly store: Store;
  /** Seals the personal data of remembered answers, and opens it (or nulls it, erased) on replay. */
  readonly personalData: PersonalData;
  readonly idempotency: IdempotencySettings;
  readonly log: Logger;
  readonly metrics: GatewayMetrics;
  /** The public base URL of the API, which makes remembered problems' `type` absolute. */
  readonly publicBaseUrl?: string;
  /** Read-your-writes: a replayed answer's version is this client's own write too. */
  readonly written: WrittenVersions;
}

/** What a key gives the write it carries: the ids it derives, and where its outcome is kept. */
export type Keyed = KeyedIds & KeyedWrite;

/**
 * A write as a value: given what a key gives it (nothing without a key), it answers the outcome
 * to send and whether it was remembered with the write's events, or throws what toProblem turns
 * into one.
 */
export type Write = (req: Request, res: Response, keyed: Keyed | undefined) => Promise<WriteAnswer>;

/** What must hold before a remembered outcome is sent again; it throws the problem to send instead. */
export type BeforeReplay = (req: Request, res: Response) => Promise<void>;

/**
 * Runs a write once per `Idempotency-Key`: the first request with a key is carried out and its
 * final outcome (2xx or 4xx) remembered; a retry of the same request gets that outcome again,
 * marked `Idempotent-Replayed: true`; another request with the key is a 422; any request while
 * the first is in flight, a 409. A 5xx is forgotten, so that the retry runs again; it then
 * derives the same event id, so whatever the failed attempt stored is found, not stored twice.
 */
export function idempotent(
  context: IdempotencyContext,
  userIdInPath: (req: Request) => string | undefined,
  write: Write,
  beforeReplay?: BeforeReplay,
): RequestHandler {
  return async (req: Request, res: Response) => {
    const key = idempotencyKeyOf(req);
    if (key === undefined) {
      sendOutcome(res, (await write(req, res, undefined)).outcome);
      return;
    }
    const count = (outcome: 'carried_out' | 'replayed' | 'key_reused' | 'in_flight') =>
      context.metrics.idempotentRequests.inc({ outcome });
    const canonical = canonicalRequest(req, userIdInPath(req));
    const fingerprint = await context.personalData.requestFingerprint(canonical);
    const token = uuidv4();
    const attempt = attemptOf(fingerprint, token, context.idempotency);
    const begin = await context.store.idempotency.begin(key, attempt);
    switch (begin.kind) {
      case 'inFlight':
        count('in_flight');
        throw problems.idempotencyKeyInFlight();
      case 'completed':
        if (
          begin.fingerprint !== fingerprint &&
          begin.fingerprint !== legacyFingerprintOf(canonical)
        ) {
          count('key_reused');
          throw problems.idempotencyKeyReused();
        }
        await beforeReplay?.(req, res);
        count('replayed');
        recordReplayedWrite(context.written, begin.outcome);
        res.set('Idempotent-Replayed', 'true');
        sendOutcome(res, await context.personalData.openOutcome(begin.outcome));
        return;
      case 'started':
        count('carried_out');
        sendOutcome(
          res,
          await carryOut(context, { key, token, requestId: requestIdOf(res) }, () =>
            write(req, res, {
              ...keyedIds(key, fingerprint),
              legacyEventId: () => keyedIds(key, legacyFingerprintOf(canonical)).eventId,
              key,
              token,
              expiresAt: attempt.expiresAt,
              fresh: begin.fresh,
            }),
          ),
        );
    }
  };
}

/**
 * A client that retries after losing its answer reads next, maybe through this gateway: its next
 * read of the user must not show less than the version the replay names (review M2). The replay
 * has no commit position, so lists are not held to it; a read of the user is.
 */
function recordReplayedWrite(written: WrittenVersions, outcome: StoredOutcome): void {
  const version = Number(/^"(\d+)"$/.exec(outcome.headers.ETag ?? '')?.[1]);
  if (outcome.userId !== undefined && Number.isSafeInteger(version))
    written.record(outcome.userId, { version, deleted: false });
}

function attemptOf(
  fingerprint: string,
  token: string,
  settings: IdempotencySettings,
): IdempotentAttempt {
  const now = settings.now();
  return {
    fingerprint,
    token,
    now,
    leaseUntil: new Date(now.getTime() + settings.leaseMs),
    expiresAt: new Date(now.getTime() + settings.ttlMs),
  };
}

/**
 * Runs the write of the attempt holding the key, and remembers its final outcome, unless the
 * write remembered it with its events; a 5xx is thrown on, the key released. Either store call
 * failing only costs the retry a wait for the lease: the write's own outcome is answered.
 */
async function carryOut(
  context: IdempotencyContext,
  attempt: { readonly key: string; readonly token: string; readonly requestId: string },
  run: () => Promise<WriteAnswer>,
): Promise<WriteOutcome> {
  const { store, personalData, idempotency, log } = context;
  const { key, token, requestId } = attempt;
  let outcome: WriteOutcome;
  try {
    const answer = await run();
    if (answer.remembered) return answer.outcome;
    outcome = answer.outcome;
  } catch (error) {
    const problem = toProblem(error);
    if (problem.status < 500) {
      outcome = problemOutcome(problem, context.publicBaseUrl);
    } else {
      await store.idempotency.abandon(key, token).catch((abandonError: unknown) => {
        log.warn('could not release an idempotency key', {
          requestId,
          error: errorFields(abandonError),
        });
      });
      throw error;
    }
  }
  const expiresAt = new Date(idempotency.now().getTime() + idempotency.ttlMs);
  const remember = async () =>
    store.idempotency.finish(key, token, await personalData.sealOutcome(outcome), expiresAt);
  await remember().catch((finishError: unknown) => {
    // The write is done and durable: answer it. A retry takes the key over once the lease
    // runs out, and finds the stored event by its derived id.
    log.warn('could not remember the outcome of an idempotent request', {
      requestId,
      error: errorFields(finishError),
    });
  });
  return outcome;
}
