import {
  compareIds,
  foldEvents,
  initialUserState,
  normalizeEmail,
  partitionOf,
  type User,
  type UserState,
} from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { InMemoryStore } from '@user-service/common/store/memory';
import { idsWhere, ownedBy, problemTypeOf, problemTypeMatching } from '@user-service/test-support';
import { type Answer, apiClient } from '../http-client';
import { PassThrough } from 'node:stream';
import { FaultInjectingStore, type GatewayCrashPoint } from './fault-injecting-store';
import { settingsFor, signingKey, token } from '../test-issuer';
import { startTestSystem } from '../test-system';
import type { InProcessCluster } from '@user-service/launcher';

export const PARTITIONS = 12;
export const AGGREGATORS = 3;

/** Two ids per aggregator: every aggregator has users to lose, and the same ids meet often. */
export const IDS: string[] = Array.from({ length: AGGREGATORS }, (_, index) =>
  idsWhere(2, ownedBy(index, AGGREGATORS), { prefix: 'id', partitions: PARTITIONS }),
).flat();

/**
 * Few emails for six ids, some equal but for case, so that creates and changes of email meet
 * emails other live users hold.
 */
export const EMAILS = [
  'ann@example.com',
  'ANN@example.com',
  'bob@example.com',
  'Cy@Example.com',
  'cy@example.com',
  'dee@example.com',
] as const;

/** A write; `keyed` ones carry an Idempotency-Key and are sent twice, the second a replay. */
export type WriteStep =
  | {
      readonly kind: 'create';
      readonly id: string;
      readonly n: number;
      readonly email: number;
      readonly keyed: boolean;
    }
  | {
      readonly kind: 'update';
      readonly id: string;
      readonly group: number;
      /** An index into EMAILS, or null to leave the email as it is. */
      readonly email: number | null;
      readonly keyed: boolean;
    }
  | { readonly kind: 'delete'; readonly id: string; readonly keyed: boolean }
  | { readonly kind: 'erase'; readonly id: string; readonly keyed: boolean };

export type Step =
  | WriteStep
  | { readonly kind: 'read'; readonly id: string }
  /**
   * A keyed write whose gateway dies at `at`; a new gateway starts, and the client sends the
   * write again with its key (`retry`) or gives up.
   */
  | {
      readonly kind: 'gatewayCrash';
      readonly write: WriteStep;
      readonly at: GatewayCrashPoint;
      readonly retry: boolean;
    }
  /** A list of every user and a count, which must equal the model whenever they say `exact`. */
  | { readonly kind: 'list' }
  | { readonly kind: 'crash'; readonly aggregator: number; readonly midSnapshot: boolean }
  | { readonly kind: 'restart'; readonly aggregator: number }
  /**
   * As SIGSTOP: the aggregator renews nothing and answers nothing; the step waits past its
   * lease, so that the others take its partitions over (when any other is running).
   */
  | { readonly kind: 'pause'; readonly aggregator: number }
  /** As SIGCONT: it first tries to save a snapshot of what it held (fenced), then goes on. */
  | { readonly kind: 'resume'; readonly aggregator: number }
  /** A fourth aggregator joins (once): the others hand it its share. */
  | { readonly kind: 'join' }
  /** Waits until the partitions are settled among the running aggregators (some, none paused). */
  | { readonly kind: 'settle' };

/**
 * Runs the steps against a fresh in-memory system and checks every answer against a plain
 * model; then brings every aggregator back and checks reads and each aggregator's state.
 * Throws (through expect) on the first difference; answers how many list and count answers said
 * `exact` (and so were compared with the model), and how many gateways died mid-write (a
 * refused write never reaches the step where it was to die).
 */
/** The key the crash model's access tokens are signed with, made once for every scenario. */
const ISSUER_KEY = signingKey('ES256', 'crash-model');

export async function runCrashScenario(
  snapshotEvery: number,
  steps: readonly Step[],
): Promise<{ exactAnswers: number; gatewayDeaths: number }> {
  const issuerKey = await ISSUER_KEY;
  const store = new FaultInjectingStore(new InMemoryStore());
  // Every line at every level, scanned at the end for the names and emails written.
  const logs: string[] = [];
  const logStream = new PassThrough();
  logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
  const system = await startTestSystem({
    store,
    logLevel: 'debug',
    logStream,
    aggregatorCount: AGGREGATORS,
    leaseMs: PARTITION_LEASE_MS,
    snapshotEvery,
    // A dead gateway's key is taken over after this; short, so retries need not wait long.
    idempotencyLeaseMs: LEASE_MS,
    rebuildCheckEveryMs: 20,
    // Through the authenticated API, as a deployment runs it: every request carries a token.
    accessTokens: settingsFor(issuerKey),
  });
  const everyScope = await token(issuerKey, 'users:read users:write users:erase', {
    expiresIn: '1h',
  });
  const api = apiClient(system.gateway.url, { authorization: `Bearer ${everyScope}` });
  const model = new Map<string, UserState>(IDS.map((id) => [id, initialUserState]));
  const running = new Set([0, 1, 2]);
  const paused = new Set<number>();
  /** The running aggregator that holds the id's partition now, if any (none while taken over). */
  const ownerOf = (id: string) => system.ownerOf(partitionOf(id, PARTITIONS));

  /** What the model says a write answers, and the state it leaves (unchanged when refused). */
  const expectedOf = (write: WriteStep): Expected => {
    const current = model.get(write.id)!;
    const live = current.user;
    const takenByOther = (email: string) =>
      [...model.values()].some(
        ({ user }) =>
          user !== null &&
          user.id !== write.id &&
          normalizeEmail(user.email) === normalizeEmail(email),
      );
    switch (write.kind) {
      case 'create': {
        if (live) return refused(current, 409, '/problems/user-exists');
        const user = {
          id: write.id,
          name: `User ${write.n}`,
          email: EMAILS[write.email]!,
          group: write.n,
        };
        if (takenByOther(user.email)) return refused(current, 409, '/problems/email-taken');
        return { status: 201, next: { version: current.version + 1, user } };
      }
      case 'update': {
        if (!live) return refused(current, 404, '/problems/user-not-found');
        const email = write.email === null ? live.email : EMAILS[write.email]!;
        if (write.email !== null && takenByOther(email))
          return refused(current, 409, '/problems/email-taken');
        const user = { ...live, group: write.group, email };
        const changed = user.group !== live.group || user.email !== live.email;
        return { status: 200, next: changed ? { version: current.version + 1, user } : current };
      }
      case 'delete':
        if (!live) return refused(current, 404, '/problems/user-not-found');
        return { status: 204, next: { version: current.version + 1, user: null } };
      case 'erase':
        if (current.version === 0) return refused(current, 404, '/problems/user-not-found');
        if (current.erasure === 'erased') return { status: 204, next: current };
        return {
          status: 204,
          next: { version: current.version + 1, user: null, erasure: 'erased' },
        };
    }
  };

  const sendWrite = (write: WriteStep, key?: string): Promise<Answer> => {
    const headers = key === undefined ? {} : { 'idempotency-key': key };
    switch (write.kind) {
      case 'create':
        return api.create(
          { id: write.id, name: `User ${write.n}`, email: EMAILS[write.email]!, group: write.n },
          headers,
        );
      case 'update':
        return api.update(
          {
            id: write.id,
            group: write.group,
            ...(write.email === null ? {} : { email: EMAILS[write.email] }),
          },
          headers,
        );
      case 'delete':
        return api.send('DELETE', `/api/user/${write.id}`, { headers });
      case 'erase':
        // As a client must: an erasure not yet applied where reads are answered is retried.
        return whileErasurePending(() =>
          api.send('DELETE', `/api/user/${write.id}/personal-data`, { headers }),
        );
    }
  };

  const expectAnswer = (step: Step, answer: Answer, expected: Expected) => {
    const seen = {
      step,
      status: answer.status,
      body: answer.body,
      etag: answer.headers.get('etag'),
    };
    const { user } = expected.next;
    const wanted =
      expected.problem !== undefined
        ? {
            ...seen,
            status: expected.status,
            body: expect.objectContaining({ type: problemTypeMatching(expected.problem) }),
          }
        : user && expected.status !== 204
          ? { step, status: expected.status, body: user, etag: `"${expected.next.version}"` }
          : { ...seen, status: expected.status };
    expect(seen).toEqual(wanted);
  };

  /**
   * Once every running aggregator has applied what the model holds: a dead gateway's writes too.
   * A user deleted before an aggregator's snapshot is not in it (no tombstone is restored), so
   * there "no user" at any version is as current as the model's.
   */
  const untilApplied = async () => {
    const behind = () =>
      IDS.filter((id) => {
        const owner = ownerOf(id);
        if (!owner || paused.has(system.aggregators.indexOf(owner))) return false;
        const held = owner.aggregator.users.get(id);
        const expected = model.get(id)!;
        return held.version < expected.version && !(held.user === null && expected.user === null);
      });
    await waitUntil(() => behind().length === 0, {
      describe: () =>
        `the running aggregators to apply the model (behind on ${behind().join(', ')})`,
      ...SETTLE,
    });
  };

  let exactAnswers = 0;
  let gatewayDeaths = 0;
  /**
   * An `exact` answer equals the model. A `snapshot` one is what the gateway answers while it
   * cannot get an aggregator's answer (down, restoring, or its circuit still open after it came
   * back), so only its status is checked; the figures line says how many were exact.
   */
  const expectList = (step: Step, answer: Answer, exact: unknown) => {
    const consistency = answer.headers.get('x-consistency');
    const seen = { step, status: answer.status, consistency, body: answer.body };
    if (consistency === 'exact') {
      exactAnswers += 1;
      expect(seen).toEqual({ step, status: 200, consistency, body: exact });
    } else {
      expect(seen).toEqual({ ...seen, status: 200, consistency: 'snapshot' });
    }
  };

  try {
    for (const [index, step] of steps.entries()) {
      switch (step.kind) {
        case 'create':
        case 'update':
        case 'delete':
        case 'erase': {
          const expected = expectedOf(step);
          const key = step.keyed ? `step-${index}` : undefined;
          const answer = await sendWrite(step, key);
          expectAnswer(step, answer, expected);
          model.set(step.id, expected.next);
          if (key !== undefined) {
            const replay = await sendWrite(step, key);
            expectAnswer(step, replay, expected);
            expect({ step, replayed: replay.headers.get('idempotent-replayed') }).toEqual({
              step,
              replayed: 'true',
            });
          }
          break;
        }
        case 'gatewayCrash': {
          const expected = expectedOf(step.write);
          const key = `crash-${index}`;
          const sprung = store.stopNextWriteAt(step.at);
          const sent = sendWrite(step.write, key);
          const first = await Promise.race([sprung.then(() => null), sent]);
          if (first !== null) {
            // Refused before the step where it was to die (no append, say): it never died.
            store.disarm();
            expectAnswer(step, first, expected);
            model.set(step.write.id, expected.next);
            break;
          }
          gatewayDeaths += 1;
          await system.stopGateway();
          await sent.catch(() => undefined);
          await system.startGateway();
          const stored =
            expected.problem === undefined &&
            (step.at === 'afterAppend' || step.at === 'afterFinish');
          if (step.retry) {
            expectAnswer(step, await untilCarriedOut(() => sendWrite(step.write, key)), expected);
            model.set(step.write.id, expected.next);
          } else if (stored) {
            model.set(step.write.id, expected.next);
          }
          await untilApplied();
          break;
        }
        case 'read': {
          const current = model.get(step.id)!;
          const expected = current.user
            ? { status: 200, next: current }
            : refused(current, 404, '/problems/user-not-found');
          expectAnswer(step, await api.get(step.id), expected);
          break;
        }
        case 'list': {
          const live = [...model.values()]
            .flatMap((state) => (state.user ? [state.user] : []))
            .sort((a, b) => compareIds(a.id, b.id));
          expectList(step, await api.send('GET', '/api/user?limit=1000'), live);
          expectList(step, await api.send('GET', '/api/user/count'), { count: live.length });
          break;
        }
        case 'crash': {
          if (!running.has(step.aggregator)) break;
          const node = system.aggregator(step.aggregator);
          if (step.midSnapshot && !paused.has(step.aggregator)) {
            store.breakNextSnapshotOf(node.ownership.held);
            await node.aggregator.snapshot();
          }
          await system.stopAggregator(step.aggregator, 'crash');
          store.breakNextSnapshotOf([]);
          running.delete(step.aggregator);
          paused.delete(step.aggregator);
          break;
        }
        case 'restart': {
          if (running.has(step.aggregator)) break;
          await system.startAggregator(step.aggregator);
          running.add(step.aggregator);
          break;
        }
        case 'pause': {
          if (!running.has(step.aggregator) || paused.has(step.aggregator)) break;
          system.aggregator(step.aggregator).pause();
          paused.add(step.aggregator);
          await new Promise((resolve) => setTimeout(resolve, PARTITION_LEASE_MS * 2));
          break;
        }
        case 'resume': {
          if (!paused.has(step.aggregator)) break;
          const node = system.aggregator(step.aggregator);
          node.resume();
          paused.delete(step.aggregator);
          // Whatever it held and lost meanwhile, its snapshot is refused (fenced): the fold of
          // the store at the end would show a save that moved a checkpoint or a user back.
          await node.owned.snapshot();
          break;
        }
        case 'join': {
          if (system.aggregators.length > AGGREGATORS) break;
          await system.addAggregator();
          running.add(AGGREGATORS);
          break;
        }
        case 'settle': {
          // Nothing settles with none running, or with one paused (it holds what it cannot serve).
          if (paused.size > 0 || running.size === 0) break;
          await system.untilSettled();
          break;
        }
      }
    }

    for (const index of paused) system.aggregator(index).resume();
    paused.clear();
    for (const index of [0, 1, 2]) if (!running.has(index)) await system.startAggregator(index);
    for (const index of running)
      if (!system.aggregators[index]) await system.startAggregator(index);
    await system.untilSettled();
    for (const id of IDS) {
      const current = model.get(id)!;
      const expected = current.user
        ? { status: 200, next: current }
        : refused(current, 404, '/problems/user-not-found');
      expectAnswer({ kind: 'read', id }, await api.get(id), expected);
      await expectErasedHistory(api, id);
    }
    for (const node of system.aggregators) {
      if (!node) continue;
      const folded = await foldStore(store, node.ownership.held);
      await waitUntil(() => sameUsers(node.aggregator.liveUsers(), folded), {
        describe: `${node.name} to hold the users folded from the store`,
        ...SETTLE,
      });
      expect(sorted(node.aggregator.liveUsers())).toEqual(sorted(folded));
    }
    await expectRebuildEqualsTheLive(
      apiClient(system.gateway.url, {
        authorization: `Bearer ${await token(issuerKey, 'users:admin', { expiresIn: '1h' })}`,
      }),
      store,
      system,
    );
    expectOneHolderPerEmail(model);
    expectNoPersonalData(logs.join(''));
    return { exactAnswers, gatewayDeaths };
  } finally {
    await system.close();
  }
}

const LEASE_MS = 50;
/** The aggregators' partition leases: short, so that a takeover happens within a few steps. */
const PARTITION_LEASE_MS = 300;
/** How long the aggregators may take to apply what was written before they are compared. */
const SETTLE = { timeoutMs: 10_000, intervalMs: 10 };

interface Expected {
  readonly status: number;
  /** The problem type of a refusal. */
  readonly problem?: string;
  readonly next: UserState;
}

/** Every event before the id's last UserErased shows no name or email. */
async function expectErasedHistory(api: ReturnType<typeof apiClient>, id: string): Promise<void> {
  const answer = await api.send('GET', `/api/user/${id}/events?limit=1000`);
  if (answer.status === 404) return;
  const events = answer.body as Array<{ type: string; data: Record<string, unknown> }>;
  const lastErasure = events.findLastIndex((event) => event.type === 'UserErased');
  for (const event of events.slice(0, Math.max(lastErasure, 0)))
    for (const field of ['name', 'email'])
      if (field in event.data)
        expect({ id, event, [field]: event.data[field] }).toEqual({ id, event, [field]: null });
}

function refused(current: UserState, status: number, problem: string): Expected {
  return { status, problem, next: current };
}

/**
 * Sends a keyed write again until it is carried out, as a client would: a connection pooled to
 * the dead gateway fails, and the dead gateway's key answers 409 in-flight until its lease ends.
 */
/** Sends `send` again while it answers 503 erasure-pending, after its Retry-After (shortened here). */
async function whileErasurePending(send: () => Promise<Answer>): Promise<Answer> {
  for (let attempt = 1; ; attempt++) {
    const answer = await send();
    const pending =
      answer.status === 503 && problemTypeOf(answer.body) === '/problems/erasure-pending';
    if (!pending || attempt === 50) return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function untilCarriedOut(send: () => Promise<Answer>): Promise<Answer> {
  let answer: Answer | null = null;
  await waitUntil(
    async () => {
      answer = await send().catch(() => null);
      const inFlight =
        answer?.status === 409 &&
        problemTypeOf(answer.body) === '/problems/idempotency-key-in-flight';
      return answer !== null && !inFlight;
    },
    { describe: 'the retried write to be carried out', timeoutMs: 5_000, intervalMs: LEASE_MS / 2 },
  );
  return answer!;
}

/** No name or email written by any step is in any log line. */
function expectNoPersonalData(logged: string): void {
  // The scan reads real lines: every request writes one.
  expect(logged).toContain('"message":"request"');
  const lowered = logged.toLowerCase();
  const names = Array.from({ length: 10 }, (_, n) => `User ${n}`);
  expect(names.filter((name) => logged.includes(name))).toEqual([]);
  expect(EMAILS.filter((email) => lowered.includes(email.toLowerCase()))).toEqual([]);
}

/** The model itself never gives two live users one email: what the system was checked against. */
function expectOneHolderPerEmail(model: ReadonlyMap<string, UserState>): void {
  const emails = [...model.values()].flatMap(({ user }) =>
    user ? [normalizeEmail(user.email)] : [],
  );
  expect(new Set(emails).size).toBe(emails.length);
}

type Live = { userId: string; version: number; user: User | null };

/** The users of these partitions as folded independently from the store's events. */
async function foldStore(
  store: FaultInjectingStore,
  partitions: readonly number[],
): Promise<Live[]> {
  const owned = IDS.filter((id) => partitions.includes(partitionOf(id, PARTITIONS)));
  const states = await Promise.all(
    owned.map(async (id) => ({
      id,
      state: foldEvents(initialUserState, await store.events.readUserEvents(id)),
    })),
  );
  return states
    .filter(({ state }) => state.user)
    .map(({ id, state }) => ({ userId: id, version: state.version, user: state.user }));
}

/**
 * After the run, the users projection rebuilt from the log (through the API, as an operator asks
 * for it) is saved equal to a fold of the store, and the aggregators, now serving it, hold it.
 */
async function expectRebuildEqualsTheLive(
  admin: ReturnType<typeof apiClient>,
  store: FaultInjectingStore,
  system: InProcessCluster,
): Promise<void> {
  const asked = await admin.send('POST', '/admin/projections/users/rebuild');
  expect(asked.status).toBe(202);
  const location = asked.headers.get('location') ?? '';
  await waitUntil(
    async () => ((await admin.send('GET', location)).body as { state: string }).state === 'done',
    { describe: 'the rebuild after the run to be done', ...SETTLE },
  );
  const all = Array.from({ length: PARTITIONS }, (_, partition) => partition);
  const folded = sorted(await foldStore(store, all));
  expect(sorted((await store.snapshots.load(all)).entries)).toEqual(folded);
  const held = system.aggregators.flatMap((node) => node?.aggregator.liveUsers() ?? []);
  expect(sorted(held)).toEqual(folded);
}

function sorted(entries: readonly Live[]): Live[] {
  return entries
    .map(({ userId, version, user }) => ({ userId, version, user }))
    .sort((a, b) => compareIds(a.userId, b.userId));
}

function sameUsers(a: readonly Live[], b: readonly Live[]): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}
