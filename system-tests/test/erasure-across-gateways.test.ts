import { type EventStore, wrapStore } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { GatewayNode } from '@user-service/gateway';
import type { InProcessCluster } from '@user-service/launcher';
import { problemTypeOf } from '@user-service/test-support';
import { type Answer, apiClient } from './http-client';
import { startGatewayBeside, startTestSystem, untilAggregatorsReady } from './test-system';

/** How late the aggregators apply an erasure: past two of the 1 s waits an erasure gives them. */
const ERASURE_LAG_MS = 3000;

/** The store as the aggregators see it: every UserErased delivered ERASURE_LAG_MS late. */
function erasuresLate(events: EventStore): EventStore['subscribe'] {
  return (request, handler) =>
    events.subscribe(request, {
      ...handler,
      onEvent: async (event, checkpoint) => {
        if (event.type === 'UserErased')
          await new Promise((resolve) => setTimeout(resolve, ERASURE_LAG_MS));
        await handler.onEvent(event, checkpoint);
      },
    });
}

/**
 * Crypto review M4, as the review ran it: two gateways on one store, the aggregators applying
 * erasures late. An erasure through one gateway answers 204 only once no gateway can show the
 * person any more; before that, 503 erasure-pending, and the client retries.
 */
describe('an erasure, through one gateway of two while the aggregators lag', () => {
  let store: InMemoryStore;
  let system: InProcessCluster;
  let other: GatewayNode;

  beforeEach(async () => {
    store = new InMemoryStore();
    system = await startTestSystem({
      store: wrapStore(store, { events: { subscribe: erasuresLate(store.events) } }),
    });
    other = await startGatewayBeside(system, store);
    await untilAggregatorsReady(system, [0, 1, 2]);
  });

  afterEach(async () => {
    await other.close();
    await system.close();
  });

  it('answers 503 erasure-pending until the aggregator applied it, and after its 204 no gateway shows the person', async () => {
    const one = apiClient(system.gateway.url);
    const two = apiClient(other.url);
    const person = { id: 'lag', name: 'Laggard Stillshown', email: 'laggard@lag.example' };
    await one.create({ ...person, group: 1 });
    expect((await two.get('lag')).body).toMatchObject(person);

    const answers: Answer[] = [];
    const started = Date.now();
    for (;;) {
      const answer = await one.send('DELETE', '/api/user/lag/personal-data');
      answers.push(answer);
      if (answer.status !== 503 || Date.now() - started > 4 * ERASURE_LAG_MS) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }

    const [first] = answers;
    expect(first?.status).toBe(503);
    expect(problemTypeOf(first?.body)).toBe('/problems/erasure-pending');
    expect(first?.headers.get('retry-after')).toBe('1');
    expect(answers.at(-1)?.status).toBe(204);
    // One erasure, however many retries.
    const history = await one.send('GET', '/api/user/lag/events');
    expect((history.body as { type: string }[]).map((event) => event.type)).toEqual([
      'UserCreated',
      'UserErased',
    ]);
    for (const api of [two, one]) {
      const read = await api.get('lag');
      expect(read.status).toBe(404);
      expect(read.text).not.toContain('Laggard');
    }
  });

  it('waits again when a keyed erasure is retried after its 503, before the remembered 204', async () => {
    const one = apiClient(system.gateway.url);
    const two = apiClient(other.url);
    await one.create({ id: 'kay', name: 'Kay Keyed', email: 'kay@lag.example', group: 1 });
    const erase = () =>
      one.send('DELETE', '/api/user/kay/personal-data', {
        headers: { 'idempotency-key': 'erase-kay' },
      });

    expect((await erase()).status).toBe(503);
    const retried = await erase();
    expect(retried.status).toBe(503);
    await new Promise((resolve) => setTimeout(resolve, ERASURE_LAG_MS));
    const done = await erase();

    expect(done.status).toBe(204);
    expect(done.headers.get('idempotent-replayed')).toBe('true');
    expect((await two.get('kay')).status).toBe(404);
  });
});
