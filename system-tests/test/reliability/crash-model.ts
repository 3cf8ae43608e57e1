import {
  aggregatorOf,
  foldEvents,
  initialUserState,
  partitionOf,
  partitionsOwnedBy,
  type User,
  type UserState,
} from '@user-service/common';
import { InMemoryStore } from '@user-service/common/store/memory';
import { idsWhere, ownedBy, userFor } from '@user-service/test-support';
import { type Answer, apiClient } from '../http-client';
import { FaultInjectingStore } from './fault-injecting-store';
import { startTestSystem } from '../test-system';

export const PARTITIONS = 12;
export const AGGREGATORS = 3;

/** Two ids per aggregator: every aggregator has users to lose, and the same ids meet often. */
export const IDS: string[] = Array.from({ length: AGGREGATORS }, (_, index) =>
  idsWhere(2, ownedBy(index, AGGREGATORS), { prefix: 'id', partitions: PARTITIONS }),
).flat();

export type Step =
  | { readonly kind: 'create'; readonly id: string; readonly n: number }
  | { readonly kind: 'update'; readonly id: string; readonly group: number }
  | { readonly kind: 'delete'; readonly id: string }
  | { readonly kind: 'read'; readonly id: string }
  /** A list of every user and a count, which must equal the model whenever they say `exact`. */
  | { readonly kind: 'list' }
  | { readonly kind: 'crash'; readonly aggregator: number; readonly midSnapshot: boolean }
  | { readonly kind: 'restart'; readonly aggregator: number };

/**
 * Runs the steps against a fresh in-memory system and checks every answer against a plain
 * model; then brings every aggregator back and checks reads and each aggregator's state.
 * Throws (through expect) on the first difference; answers how many list and count answers said
 * `exact` (and so were compared with the model).
 */
export async function runCrashScenario(
  snapshotEvery: number,
  steps: readonly Step[],
): Promise<{ exactAnswers: number }> {
  const store = new FaultInjectingStore(new InMemoryStore());
  const system = await startTestSystem({
    store,
    aggregatorCount: AGGREGATORS,
    partitions: PARTITIONS,
    snapshotEvery,
  });
  const api = apiClient(system.gateway.url);
  const model = new Map<string, UserState>(IDS.map((id) => [id, initialUserState]));
  const running = new Set([0, 1, 2]);

  const expectAnswer = (step: Step, answer: Answer, status: number, state?: UserState) => {
    const seen = {
      step,
      status: answer.status,
      body: answer.body,
      etag: answer.headers.get('etag'),
    };
    const wanted = state?.user
      ? { step, status, body: state.user, etag: `"${state.version}"` }
      : { step, status, body: seen.body, etag: seen.etag };
    expect(seen).toEqual(wanted);
  };

  let exactAnswers = 0;
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
    for (const step of steps) {
      switch (step.kind) {
        case 'create': {
          const current = model.get(step.id)!;
          const answer = await api.create(userFor(step.id, step.n));
          if (current.user) {
            expectAnswer(step, answer, 409);
          } else {
            const next = { version: current.version + 1, user: userFor(step.id, step.n) };
            model.set(step.id, next);
            expectAnswer(step, answer, 201, next);
          }
          break;
        }
        case 'update': {
          const current = model.get(step.id)!;
          const answer = await api.update({ id: step.id, group: step.group });
          if (!current.user) {
            expectAnswer(step, answer, 404);
          } else {
            const changed = current.user.group !== step.group;
            const next = changed
              ? { version: current.version + 1, user: { ...current.user, group: step.group } }
              : current;
            model.set(step.id, next);
            expectAnswer(step, answer, 200, next);
          }
          break;
        }
        case 'delete': {
          const current = model.get(step.id)!;
          const answer = await api.remove(step.id);
          if (current.user) model.set(step.id, { version: current.version + 1, user: null });
          expectAnswer(step, answer, current.user ? 204 : 404);
          break;
        }
        case 'read': {
          const current = model.get(step.id)!;
          expectAnswer(step, await api.get(step.id), current.user ? 200 : 404, current);
          break;
        }
        case 'list': {
          const live = [...model.values()]
            .flatMap((state) => (state.user ? [state.user] : []))
            .sort((a, b) => (a.id < b.id ? -1 : 1));
          expectList(step, await api.send('GET', '/api/user?limit=1000'), live);
          expectList(step, await api.send('GET', '/api/user/count'), { count: live.length });
          break;
        }
        case 'crash': {
          if (!running.has(step.aggregator)) break;
          if (step.midSnapshot) {
            store.breakNextSnapshotOf(partitionsOwnedBy(step.aggregator, AGGREGATORS, PARTITIONS));
            await system.aggregator(step.aggregator).aggregator.snapshot();
          }
          await system.stopAggregator(step.aggregator, 'crash');
          store.breakNextSnapshotOf([]);
          running.delete(step.aggregator);
          break;
        }
        case 'restart': {
          if (running.has(step.aggregator)) break;
          await system.startAggregator(step.aggregator);
          running.add(step.aggregator);
          break;
        }
      }
    }

    for (const index of [0, 1, 2]) if (!running.has(index)) await system.startAggregator(index);
    for (const id of IDS) {
      const current = model.get(id)!;
      expectAnswer({ kind: 'read', id }, await api.get(id), current.user ? 200 : 404, current);
    }
    for (const index of [0, 1, 2]) {
      const folded = await foldStore(store, index);
      await until(() => sameUsers(system.aggregator(index).aggregator.liveUsers(), folded));
      expect(sorted(system.aggregator(index).aggregator.liveUsers())).toEqual(sorted(folded));
    }
    return { exactAnswers };
  } finally {
    await system.close();
  }
}

type Live = { userId: string; version: number; user: User | null };

/** An aggregator's users as folded independently from the store's events. */
async function foldStore(store: FaultInjectingStore, index: number): Promise<Live[]> {
  const owned = IDS.filter(
    (id) => aggregatorOf(partitionOf(id, PARTITIONS), AGGREGATORS) === index,
  );
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

function sorted(entries: readonly Live[]): Live[] {
  return entries
    .map(({ userId, version, user }) => ({ userId, version, user }))
    .sort((a, b) => a.userId.localeCompare(b.userId));
}

function sameUsers(a: readonly Live[], b: readonly Live[]): boolean {
  return JSON.stringify(sorted(a)) === JSON.stringify(sorted(b));
}

async function until(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (!condition() && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 10));
}
