import { partitionOf, type User } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { type SnapshotBatch } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { GatewayNode } from '@user-service/gateway';
import type { InProcessCluster } from '@user-service/launcher';
import { fieldsFor } from '@user-service/test-support';
import { type Answer, apiClient, type ApiClient } from '../http-client';
import { recordSnapshots } from '../recording-store';
import { startGatewayBeside, startTestSystem, untilAggregatorsReady } from '../test-system';

/** Short, so that a takeover in these drills takes a second or two. */
const LEASE_MS = 1000;
const PARTITIONS = 12;
const TOKEN = 'x-consistency-token';

/**
 * The read side under leases, through real HTTP: aggregators that die, stall or join while the
 * API is used, and a client going through two gateways. What a user would notice is checked:
 * every read equal to what was acknowledged, lists exact again soon after, no failed request.
 */
describe('the elastic read side', () => {
  let system: InProcessCluster;
  let api: ApiClient;
  let saved: SnapshotBatch[];
  /** Every live user as acknowledged, by id. */
  let reference: Map<string, User>;

  beforeEach(async () => {
    const recorded = recordSnapshots(new InMemoryStore());
    saved = recorded.batches;
    system = await startTestSystem({ store: recorded.store, leaseMs: LEASE_MS });
    api = apiClient(system.gateway.url);
    reference = new Map();
  });

  afterEach(() => system.close());

  async function create(id: string, n: number, through = api): Promise<Answer> {
    const answer = await through.create({ id, ...fieldsFor(n) });
    expect(answer.status).toBe(201);
    reference.set(id, answer.body as User);
    return answer;
  }

  async function seed(count: number): Promise<void> {
    for (let n = 0; n < count; n++) await create(`user${n}`, n);
  }

  /** Reads every user and answers those that differ from what was acknowledged. */
  async function staleReads(): Promise<string[]> {
    const stale: string[] = [];
    for (const [id, user] of reference) {
      const answer = await api.get(id);
      if (answer.status !== 200 || JSON.stringify(answer.body) !== JSON.stringify(user))
        stale.push(`${id}: ${answer.status} ${answer.text}`);
    }
    return stale;
  }

  /** The first page of everyone, and whether it is exact and equal to the reference. */
  async function listMatches(through = api, headers: Record<string, string> = {}) {
    const answer = await through.send('GET', '/api/user?limit=1000', { headers });
    const expected = [...reference.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
    return {
      exact: answer.headers.get('x-consistency') === 'exact',
      equal: JSON.stringify(answer.body) === JSON.stringify(expected),
    };
  }

  it('takes over an aggregator killed for good: reads exact throughout, lists exact again within the lease time plus 2 s, no restart', async () => {
    await seed(60);
    const lost = system.aggregator(1).ownership.held;
    expect(lost).toEqual([1, 4, 7, 10]);

    await system.stopAggregator(1, 'crash');
    const killedAt = Date.now();
    const stale: string[] = [];
    let back: number | null = null;
    while (back === null && Date.now() - killedAt < LEASE_MS + 5000) {
      stale.push(...(await staleReads()));
      const list = await listMatches();
      if (list.exact && list.equal) back = Date.now() - killedAt;
    }

    expect(stale).toEqual([]);
    expect(back).not.toBeNull();
    expect(back).toBeLessThanOrEqual(LEASE_MS + 2000);
    const owners = lost.map((partition) => system.ownerOf(partition)?.name);
    expect(owners.every((name) => name === 'aggregator-0' || name === 'aggregator-2')).toBe(true);
  });

  it('fences an owner paused past its lease: once resumed it saves nothing and answers nothing as owner', async () => {
    await seed(40);
    const paused = system.aggregator(2);
    const partitions = paused.ownership.held;
    const epochs = partitions.map((partition) => paused.ownership.epochOf(partition));
    paused.pause();
    await waitUntil(
      () =>
        partitions.every((partition) => {
          const owner = system.gateway.owners.ownerOf(partition);
          return owner !== undefined && owner.name !== 'aggregator-2';
        }),
      { describe: 'the paused aggregator’s partitions taken over', timeoutMs: LEASE_MS * 5 },
    );
    // Written while it is paused: its copy of these users is older than the store's.
    const ofItsPartitions = [...reference.keys()].filter((id) =>
      partitions.includes(partitionOf(id, PARTITIONS)),
    );
    for (const id of ofItsPartitions) {
      const answer = await api.update({ id, group: 777 });
      expect(answer.status).toBe(200);
      reference.set(id, answer.body as User);
    }
    const savesBefore = saved.length;

    paused.resume();
    // What a process woken by SIGCONT does first, before its next lease round: save and serve.
    await paused.owned.snapshot();
    const [someone] = ofItsPartitions;
    const direct = await fetch(`${paused.url}/internal/users/${someone}`, {
      headers: { authorization: `Bearer ${system.internalToken}` },
    });

    expect([421, 503]).toContain(direct.status);
    expect(
      saved
        .slice(savesBefore)
        .filter((batch) => batch.partitions.some((partition) => partitions.includes(partition))),
    ).toEqual([]);
    expect(epochs.every((epoch) => epoch !== undefined)).toBe(true);
    expect(await staleReads()).toEqual([]);
    await waitUntil(
      () =>
        paused.ownership.held.length === 0 || !partitions.some((p) => paused.ownership.holds(p)),
      {
        describe: 'the resumed aggregator to give up what it lost',
        timeoutMs: LEASE_MS * 3,
      },
    );
  });

  it('lets a fourth aggregator join under load with no failed request, and gives it its share', async () => {
    await seed(40);
    let stop = false;
    const failures: string[] = [];
    let requests = 0;
    const ids = [...reference.keys()];
    const load = Array.from({ length: 4 }, async (_, worker) => {
      for (let n = worker; !stop; n += 4) {
        const id = ids[n % ids.length]!;
        const answers = [
          await api.get(id),
          await api.send('GET', '/api/user/count'),
          await api.send('GET', '/api/user?limit=20'),
        ];
        requests += answers.length;
        for (const answer of answers)
          if (answer.status !== 200) failures.push(`${answer.status} ${answer.text}`);
      }
    });

    const joined = await system.addAggregator();
    await system.untilSettled();
    stop = true;
    await Promise.all(load);

    expect(failures).toEqual([]);
    expect(requests).toBeGreaterThan(0);
    expect(joined.ownership.held).toEqual([3, 7, 11]);
    expect(await listMatches()).toEqual({ exact: true, equal: true });
  });
});

describe('read-your-writes through two gateways', () => {
  let system: InProcessCluster;
  let other: GatewayNode;

  beforeEach(async () => {
    const store = new InMemoryStore();
    // Aggregators behind the store, so that a gateway that did not take a write would read
    // older than it without the client's token.
    system = await startTestSystem({ store: recordSnapshots(store, 15).store, leaseMs: LEASE_MS });
    other = await startGatewayBeside(system, store);
    await untilAggregatorsReady(system, [0, 1, 2]);
  });

  afterEach(async () => {
    await other.close();
    await system.close();
  });

  it('never shows a client carrying its token anything older than its own writes, alternating gateways', async () => {
    const gateways = [apiClient(system.gateway.url), apiClient(other.url)];
    let token: string | undefined;
    const carrying = () => (token === undefined ? {} : { [TOKEN]: token });
    const older: string[] = [];
    for (let n = 0; n < 20; n++) {
      const [writer, reader] = n % 2 === 0 ? gateways : [...gateways].reverse();
      const id = `ryw${n % 5}`;
      const write =
        n < 5
          ? await writer!.create({ id, ...fieldsFor(n) }, carrying())
          : await writer!.update({ id, group: 1000 + n }, carrying());
      expect([200, 201]).toContain(write.status);
      token = write.headers.get(TOKEN) ?? undefined;
      expect(token).toMatch(/^ct1\./);
      const written = write.body as User;

      const read = await reader!.send('GET', `/api/user/${id}`, { headers: carrying() });
      if (JSON.stringify(read.body) !== JSON.stringify(written)) older.push(`read ${id} at ${n}`);
      const page = await reader!.send('GET', '/api/user?limit=100', { headers: carrying() });
      const listed = (page.body as User[]).find((user) => user.id === id);
      if (JSON.stringify(listed) !== JSON.stringify(written)) older.push(`list ${id} at ${n}`);
      if (page.headers.get('x-consistency') !== 'exact') older.push(`list not exact at ${n}`);
      const count = await reader!.send('GET', '/api/user/count', { headers: carrying() });
      if ((count.body as { count: number }).count !== Math.min(n + 1, 5))
        older.push(`count ${JSON.stringify(count.body)} at ${n}`);
    }
    expect(older).toEqual([]);
  });

  it('refuses a token it cannot have made, and one from another deployment, with their own 400s', async () => {
    const api = apiClient(system.gateway.url);
    const malformed = await api.send('GET', '/api/user', { headers: { [TOKEN]: 'ct1.@' } });
    expect(malformed.status).toBe(400);
    expect((malformed.body as { type: string }).type).toMatch(
      /\/problems\/invalid-consistency-token$/,
    );

    const elsewhere = await startTestSystem({ store: new InMemoryStore() });
    try {
      const theirs = await apiClient(elsewhere.gateway.url).create({ id: 'x', ...fieldsFor(1) });
      const foreign = await api.send('GET', '/api/user/x', {
        headers: { [TOKEN]: theirs.headers.get(TOKEN) ?? '' },
      });
      expect(foreign.status).toBe(400);
      expect((foreign.body as { type: string }).type).toMatch(
        /\/problems\/foreign-consistency-token$/,
      );
    } finally {
      await elsewhere.close();
    }
  });
});
