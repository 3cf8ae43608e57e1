import { foldEvents, initialUserState } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { type SnapshotBatch, wrapStore } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { fieldsFor } from '@user-service/test-support';
import { type Answer, apiClient, type ApiClient } from './http-client';
import { startTestSystem, untilAggregatorsReady } from './test-system';

const REBUILD = '/admin/projections/users/rebuild';
const USERS = 40;

/**
 * The users projection folded again from the log through the API, while the API is used: what a
 * client reads is the same before, during and after; the projection saved after equals the log
 * folded afresh and what the aggregators hold; a crash in the middle loses nothing.
 */
describe('rebuilding the users projection while it serves', () => {
  let memory: InMemoryStore;
  let system: InProcessCluster;
  let api: ApiClient;
  /** Set to stop the next whole save (a partition switching over) where it is, for good. */
  let stopNextSwitch: ((batch: SnapshotBatch) => void) | null;

  beforeEach(async () => {
    memory = new InMemoryStore();
    stopNextSwitch = null;
    const store = wrapStore(memory, {
      snapshots: {
        save: (batch) => {
          const stop = stopNextSwitch;
          if (!batch.whole || !stop) return memory.snapshots.save(batch);
          stopNextSwitch = null;
          stop(batch);
          return new Promise<void>(() => undefined);
        },
      },
    });
    system = await startTestSystem({ store, leaseMs: 1000, rebuildCheckEveryMs: 20 });
    api = apiClient(system.gateway.url);
    await untilAggregatorsReady(system, [0, 1, 2]);
    await seed();
  });

  afterEach(() => system.close());

  async function expectStatus(answer: Promise<Answer>, status: number): Promise<Answer> {
    const answered = await answer;
    expect({ status: answered.status, body: answered.body }).toMatchObject({ status });
    return answered;
  }

  /** Creates, updates, deletes and erases users, then saves every aggregator's snapshot. */
  async function seed(): Promise<void> {
    for (let n = 0; n < USERS; n++)
      await expectStatus(api.create({ id: `u${n}`, ...fieldsFor(n) }), 201);
    for (let n = 0; n < 10; n++) {
      await expectStatus(api.update({ id: `u${n}`, ...fieldsFor(n), group: 77 }), 200);
    }
    for (let n = 10; n < 15; n++) await expectStatus(api.remove(`u${n}`), 204);
    for (let n = 15; n < 17; n++)
      await expectStatus(api.send('DELETE', `/api/user/u${n}/personal-data`), 204);
    for (const node of system.aggregators) await node?.aggregator.snapshot();
  }

  /** What a client sees: every user, the list, the counts and the statistics. */
  async function view() {
    const reads = [];
    for (let n = 0; n < USERS; n++) {
      const answer = await api.get(`u${n}`);
      reads.push([answer.status, answer.body]);
    }
    const list = await api.send('GET', '/api/user?limit=100');
    const count = await api.send('GET', '/api/user/count');
    const group = await api.send('GET', '/api/user/count?group=77');
    const stats = await api.send('GET', '/api/stats/users');
    return {
      reads,
      answers: [list, count, group, stats].map((answer) => [answer.status, answer.body]),
    };
  }

  async function rebuildStatus(location: string) {
    return expectStatus(api.send('GET', location), 200);
  }

  async function stateOf(location: string): Promise<string> {
    return ((await rebuildStatus(location)).body as { state: string }).state;
  }

  /** Every user's saved entry, and the log folded afresh: the same, version and all. */
  async function expectSavedEqualsTheLog(): Promise<void> {
    for (let n = 0; n < USERS; n++) {
      const folded = foldEvents(initialUserState, await memory.events.readUserEvents(`u${n}`));
      const saved = await memory.snapshots.loadUser(`u${n}`);
      expect({ version: saved?.version, user: saved?.user ?? null }).toEqual({
        version: folded.version,
        user: folded.user,
      });
    }
    const live = system.aggregators
      .flatMap((node) => node?.aggregator.liveUsers() ?? [])
      .sort((a, b) => a.userId.localeCompare(b.userId));
    const { partitions } = await memory.layout();
    const loaded = await memory.snapshots.load(Array.from({ length: partitions }, (_, p) => p));
    expect([...loaded.entries].sort((a, b) => a.userId.localeCompare(b.userId))).toEqual(live);
    expect(loaded.generation).toBe(1);
  }

  it('answers 202 and where to watch it; reads, lists, counts and statistics stay as they were throughout', async () => {
    const before = await view();
    const asked = await expectStatus(api.send('POST', REBUILD), 202);
    const location = asked.headers.get('location') ?? '';
    expect(location).toMatch(/^\/admin\/projections\/users\/rebuilds\/[0-9a-f-]{36}$/);
    expect(asked.body).toMatchObject({ state: 'running', generation: 1, failures: [] });

    let during = 0;
    await waitUntil(
      async () => {
        expect(await view()).toEqual(before);
        during += 1;
        return (await stateOf(location)) === 'done';
      },
      { describe: 'the rebuild to be done', timeoutMs: 15_000, intervalMs: 10 },
    );

    expect(during).toBeGreaterThan(0);
    expect(await view()).toEqual(before);
    const events = (
      await Promise.all(
        Array.from({ length: USERS }, (_, n) => memory.events.readUserEvents(`u${n}`)),
      )
    ).flat().length;
    expect((await rebuildStatus(location)).body).toMatchObject({
      state: 'done',
      partitions: { total: (await memory.layout()).partitions, failed: 0 },
      events,
    });
    await expectSavedEqualsTheLog();
  });

  it('answers the running rebuild when asked again, and 404 for any other id', async () => {
    const first = await expectStatus(api.send('POST', REBUILD), 202);
    const again = await expectStatus(api.send('POST', REBUILD), 202);
    const location = first.headers.get('location');
    // Unless it was quick enough to be done in between: then the second is a new rebuild.
    if ((again.body as { generation: number }).generation === 1)
      expect(again.headers.get('location')).toBe(location);
    const unknown = await api.send('GET', '/admin/projections/users/rebuilds/not-a-rebuild');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      type: expect.stringMatching(/\/problems\/rebuild-not-found$/) as unknown,
    });
  });

  it('loses nothing to an aggregator that crashes as a partition switches over: its next owner folds it again', async () => {
    const before = await view();
    const stopped = new Promise<SnapshotBatch>((resolve) => {
      stopNextSwitch = resolve;
    });
    const asked = await expectStatus(api.send('POST', REBUILD), 202);
    const location = asked.headers.get('location') ?? '';
    const { partitions } = await stopped;
    const owner = system.aggregators.findIndex((node) => node?.owned.aggregatorOf(partitions[0]!));
    expect(owner).toBeGreaterThanOrEqual(0);
    await system.stopAggregator(owner, 'crash');

    await waitUntil(async () => (await stateOf(location)) === 'done', {
      describe: 'the rebuild to be done after the crash',
      timeoutMs: 15_000,
      intervalMs: 20,
    });
    await system.untilSettled();
    expect(await view()).toEqual(before);
    await expectSavedEqualsTheLog();
  });
});
