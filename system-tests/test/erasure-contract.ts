import type { Store } from '@user-service/common/store';
import type { User } from '@user-service/common/domain';
import { problemTypeOf } from '@user-service/test-support';
import type { InProcessCluster } from '@user-service/launcher';
import { ephemeralMasterKeys } from '@user-service/common/personal-data';
import { createHash } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { type Answer, type ApiClient, apiClient } from './http-client';
import type { StoredText } from './on-both-stores';
import { startGatewayBeside, startTestSystem, untilAggregatorsReady } from './test-system';

interface HistoryEvent {
  readonly type: string;
  readonly version: number;
  readonly data: Record<string, unknown>;
}

const key = (value: string) => ({ 'idempotency-key': value });
const problemType = (answer: Answer): unknown => problemTypeOf(answer.body);

/**
 * Erasing a person (crypto-shredding), through the whole system: `createStore` decides what it
 * runs on, and `storedText` reads back everything that store holds, raw, for the scans.
 */
export function defineErasureContract(
  createStore: () => Promise<Store>,
  storedText: StoredText,
): void {
  let store: Store;
  let system: InProcessCluster;
  let api: ApiClient;
  let logs: string[];

  beforeEach(async () => {
    store = await createStore();
    logs = [];
    const logStream = new PassThrough();
    logStream.on('data', (chunk: Buffer) => logs.push(chunk.toString('utf8')));
    // Every level: personal data must not reach the logs, not even at debug.
    system = await startTestSystem({ store, logLevel: 'debug', logStream });
    api = apiClient(system.gateway.url);
    await untilAggregatorsReady(system, [0, 1, 2]);
  });

  afterEach(() => system.close());

  const erase = (id: string, headers?: Record<string, string>) =>
    api.send('DELETE', `/api/user/${id}/personal-data`, headers ? { headers } : {});

  async function history(id: string): Promise<HistoryEvent[]> {
    const answer = await api.send('GET', `/api/user/${id}/events`);
    expect(answer.status).toBe(200);
    return answer.body as HistoryEvent[];
  }

  async function listed(): Promise<User[]> {
    const answer = await api.send('GET', '/api/user?limit=1000');
    expect(answer.headers.get('x-consistency')).toBe('exact');
    return answer.body as User[];
  }

  async function counted(): Promise<unknown> {
    return (await api.send('GET', '/api/user/count')).body;
  }

  it('erases a live user: 204, then 404, out of lists and counts, its history nulled and ended by UserErased', async () => {
    await api.create({ id: 'ada', name: 'Ada Lovelace', email: 'ada@example.com', group: 1 });
    await api.update({ id: 'ada', email: 'ada@analytical.org', group: 2 });
    await api.create({ id: 'bob', name: 'Bob', email: 'bob@example.com', group: 2 });

    const erased = await erase('ada');

    expect(erased.status).toBe(204);
    expect(erased.text).toBe('');
    expect((await api.get('ada')).status).toBe(404);
    expect((await listed()).map((user) => user.id)).toEqual(['bob']);
    expect(await counted()).toEqual({ count: 1 });
    expect((await api.send('GET', '/api/stats/users')).body).toMatchObject({ total: 1 });
    expect(await history('ada')).toEqual([
      expect.objectContaining({
        type: 'UserCreated',
        version: 1,
        data: { name: null, email: null, group: 1 },
      }),
      expect.objectContaining({ type: 'UserUpdated', version: 2, data: { email: null, group: 2 } }),
      expect.objectContaining({ type: 'UserErased', version: 3, data: { deleted: true } }),
    ]);
    expect((await api.get('bob')).body).toEqual({
      id: 'bob',
      name: 'Bob',
      email: 'bob@example.com',
      group: 2,
    });
  });

  it('answers an as-of read of a live version 410 personal-data-erased, and of a version with no live user 404', async () => {
    await api.create({ id: 'ada', name: 'Ada', email: 'ada@example.com', group: 1 });
    await api.remove('ada');
    await api.create({ id: 'ada', name: 'Ada Again', email: 'ada@example.com', group: 1 });
    await erase('ada');

    const live = await api.send('GET', '/api/user/ada?version=1');
    const deleted = await api.send('GET', '/api/user/ada?version=2');
    const recreated = await api.send('GET', '/api/user/ada?version=3');
    const erasure = await api.send('GET', '/api/user/ada?version=4');
    const now = await api.send('GET', `/api/user/ada?at=${new Date().toISOString()}`);

    expect(live.status).toBe(410);
    expect(problemType(live)).toBe('/problems/personal-data-erased');
    expect(deleted.status).toBe(404);
    expect(recreated.status).toBe(410);
    expect(erasure.status).toBe(404);
    expect(now.status).toBe(404);
  });

  it('erases every incarnation of the id, across deletes and re-creates', async () => {
    await api.create({ id: 'cy', name: 'Cy One', email: 'cy1@example.com', group: 1 });
    await api.remove('cy');
    await api.create({ id: 'cy', name: 'Cy Two', email: 'cy2@example.com', group: 3 });
    await api.remove('cy');

    expect((await erase('cy')).status).toBe(204);

    const events = await history('cy');
    expect(events.map((event) => event.type)).toEqual([
      'UserCreated',
      'UserDeleted',
      'UserCreated',
      'UserDeleted',
      'UserErased',
    ]);
    for (const event of events.filter((event) => event.type === 'UserCreated'))
      expect(event.data).toMatchObject({ name: null, email: null });
  });

  it('evaluates If-Match: a stale or malformed one erases nothing, the current one erases', async () => {
    await api.create({ id: 'eve', name: 'Eve', email: 'eve@example.com', group: 1 });
    await api.remove('eve');
    await api.create({ id: 'eve', name: 'Eve Again', email: 'eve2@example.com', group: 2 });

    // Version 1 was the first person under this id: its tag must not erase the second.
    const stale = await erase('eve', { 'if-match': '"1"' });
    const malformed = await erase('eve', { 'if-match': 'garbage' });
    const live = await api.get('eve');
    const current = await erase('eve', { 'if-match': live.headers.get('etag') ?? '' });

    expect([stale.status, malformed.status, live.status, current.status]).toEqual([
      412, 400, 200, 204,
    ]);
    expect(problemType(stale)).toBe('/problems/version-mismatch');
    expect(problemType(malformed)).toBe('/problems/bad-if-match');
    expect((await history('eve')).map((event) => event.type)).toEqual([
      'UserCreated',
      'UserDeleted',
      'UserCreated',
      'UserErased',
    ]);
  });

  it('erases a user whose key this gateway cannot unwrap (a master key it lacks): 204, and the key is destroyed', async () => {
    await api.create({ id: 'locked', name: 'Lock Ed', email: 'locked@example.com', group: 1 });
    // A gateway beside the system whose ring lacks the master key that wrapped the user's key,
    // as after a lost key file or a retired master key.
    const stranger = await startGatewayBeside(system, store, ephemeralMasterKeys());
    try {
      const erased = await apiClient(stranger.url).send('DELETE', '/api/user/locked/personal-data');
      expect(erased.status).toBe(204);
    } finally {
      await stranger.close();
    }
    expect((await store.dataKeys.get(['locked'])).size).toBe(0);
    expect((await api.get('locked')).status).toBe(404);
    expect((await history('locked')).map((event) => [event.type, event.data])).toEqual([
      ['UserCreated', { name: null, email: null, group: 1 }],
      ['UserErased', { deleted: true }],
    ]);
  });

  it('erasing again answers 204 at once after the user’s aggregator restarted from a snapshot, which no longer knows the erased user’s version', async () => {
    await api.create({ id: 'tom', name: 'Tom Stone', email: 'tom@example.com', group: 1 });
    expect((await erase('tom')).status).toBe(204);
    // Every aggregator saves its snapshot and restarts from it: an erased user is a tombstone
    // there, its version not kept.
    for (const index of [0, 1, 2]) {
      await system.aggregator(index).aggregator.snapshot();
      await system.stopAggregator(index, 'crash');
      await system.startAggregator(index);
    }
    await untilAggregatorsReady(system, [0, 1, 2]);

    const again = await erase('tom');

    expect(again.status).toBe(204);
    expect(await history('tom')).toHaveLength(2);
  });

  it('erasing again answers 204 and appends nothing; an id with no events is 404', async () => {
    await api.create({ id: 'dee', name: 'Dee', email: 'dee@example.com', group: 1 });
    await erase('dee');

    const again = await erase('dee');
    const unknown = await erase('nobody');

    expect(again.status).toBe(204);
    expect(await history('dee')).toHaveLength(2);
    expect(unknown.status).toBe(404);
    expect(problemType(unknown)).toBe('/problems/user-not-found');
  });

  it('frees the email, and lets the id be created again as a new person whose history is readable', async () => {
    await api.create({ id: 'eve', name: 'Eve', email: 'eve@example.com', group: 1 });
    await erase('eve');

    const other = await api.create({ id: 'fay', name: 'Fay', email: 'EVE@example.com', group: 1 });
    const again = await api.create({
      id: 'eve',
      name: 'Eve Two',
      email: 'eve2@example.com',
      group: 5,
    });

    expect(other.status).toBe(201);
    expect(again.status).toBe(201);
    expect((await api.get('eve')).body).toEqual({
      id: 'eve',
      name: 'Eve Two',
      email: 'eve2@example.com',
      group: 5,
    });
    expect((await history('eve')).map((event) => event.data)).toEqual([
      { name: null, email: null, group: 1 },
      { deleted: true },
      { name: 'Eve Two', email: 'eve2@example.com', group: 5 },
    ]);
    expect((await listed()).map((user) => user.id)).toEqual(['eve', 'fay']);
  });

  it('takes an Idempotency-Key, and replays a remembered answer of an erased user with name and email null', async () => {
    const first = await api.create(
      { id: 'gus', name: 'Gus', email: 'gus@example.com', group: 1 },
      key('create-gus'),
    );
    const erased = await erase('gus', key('erase-gus'));
    const erasedAgain = await erase('gus', key('erase-gus'));
    const replayed = await api.create(
      { id: 'gus', name: 'Gus', email: 'gus@example.com', group: 1 },
      key('create-gus'),
    );

    expect(first.body).toEqual({ id: 'gus', name: 'Gus', email: 'gus@example.com', group: 1 });
    expect(erased.status).toBe(204);
    expect(erasedAgain.status).toBe(204);
    expect(erasedAgain.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.status).toBe(201);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.body).toEqual({ id: 'gus', name: null, email: null, group: 1 });
  });

  it('keeps no name or email in plain text in the store, the logs at any level, or the metrics', async () => {
    const people = [
      { id: 'hal', name: 'Hal Plaintext', email: 'Hal.Plain@Example.COM', group: 1 },
      { id: 'ivy', name: 'Ivy Cleartext', email: 'ivy.clear@example.net', group: 2 },
    ];
    for (const person of people) await api.create(person, key(`create-${person.id}`));
    await api.update(
      { id: 'hal', name: 'Hal Renamed', email: 'hal.renamed@example.org' },
      key('u'),
    );
    await api.send('PUT', '/api/user/ivy', {
      json: { name: 'Ivy Updated', email: 'ivy.updated@example.net' },
    });
    await erase('ivy');
    await api.create({ id: 'ivy', name: 'Ivy Reborn', email: 'ivy.reborn@example.net', group: 3 });
    // An aggregator's snapshot holds users too: make one save now.
    await Promise.all([0, 1, 2].map((index) => system.aggregator(index).aggregator.snapshot()));

    const plainValues = [
      ...people.flatMap((person) => [person.name, person.email]),
      'Hal Renamed',
      'hal.renamed@example.org',
      'Ivy Updated',
      'ivy.updated@example.net',
      'Ivy Reborn',
      'ivy.reborn@example.net',
    ];
    const stored = (await storedText(store)).toLowerCase();
    const logged = logs.join('').toLowerCase();
    const metrics = (
      await Promise.all(
        [system.gateway.url, ...system.aggregatorUrls].map(async (url) =>
          (await fetch(`${url}/metrics`)).text(),
        ),
      )
    )
      .join('\n')
      .toLowerCase();
    expect(logged).toContain('"route":"/api/user/:id/personal-data"');
    expect(metrics).toContain('gateway_store_operations_total');
    for (const value of plainValues) {
      expect({ value, inStore: stored.includes(value.toLowerCase()) }).toEqual({
        value,
        inStore: false,
      });
      expect({ value, inLogs: logged.includes(value.toLowerCase()) }).toEqual({
        value,
        inLogs: false,
      });
      expect({ value, inMetrics: metrics.includes(value.toLowerCase()) }).toEqual({
        value,
        inMetrics: false,
      });
    }
    // Nor a plain hash of a keyed request, against which a guessed name and email could be
    // checked (crypto review M1): the SHA-256 of `POST /api/user` and the body, keys sorted, as
    // releases before keyed fingerprints stored it.
    for (const person of people) {
      const sorted = Object.fromEntries(
        Object.entries(person).sort(([a], [b]) => a.localeCompare(b)),
      );
      const plainHash = createHash('sha256')
        .update(`POST /api/user\n${JSON.stringify(sorted)}`)
        .digest('base64url')
        .toLowerCase();
      expect({ person: person.id, inStore: stored.includes(plainHash) }).toEqual({
        person: person.id,
        inStore: false,
      });
    }
    // The scan reads what is there: the users are stored, sealed (records as text in memory,
    // as binaries of the sealed subtype, 0x80, in MongoDB's extended JSON).
    expect(stored).toMatch(/pd2\.|"subtype":"80"/);
    expect((await api.get('hal')).body).toMatchObject({ name: 'Hal Renamed' });
  });
}
