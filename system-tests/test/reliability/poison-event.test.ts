import {
  aggregatorOf,
  partitionOf,
  stampEvents,
  type UserEvent,
} from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { problemTypeMatching } from '@user-service/test-support';
import { InMemoryStore } from '@user-service/common/store/memory';
import { PassThrough } from 'node:stream';
import { apiClient } from '../http-client';
import { startTestSystem } from '../test-system';

/**
 * Events as a newer version of the gateway might write them during a rolling deploy: of a type
 * this version does not know, or of a type it knows in a schema newer than it reads.
 */
const POISONS: ReadonlyArray<readonly [string, Partial<UserEvent>]> = [
  ['of an unknown type', { type: 'UserRenamed', data: { name: 'Secret Name' } } as never],
  [
    'of a newer schema',
    { type: 'UserUpdated', schemaVersion: 2, data: { name: 'Secret Name' } } as never,
  ],
];

function poisonEvent(userId: string, afterVersion: number, poison: Partial<UserEvent>): UserEvent {
  const [event] = stampEvents(
    userId,
    afterVersion,
    [{ type: 'UserCreated', data: { name: 'x', email: 'x@example.com', group: 0 } }],
    {
      newEventId: () => 'poison-event-1',
      now: () => new Date(),
      partitionOf: (id) => partitionOf(id, 12),
    },
  );
  return { ...event!, ...poison } as UserEvent;
}

describe.each(POISONS)('an event an aggregator cannot apply, %s', (_, poison) => {
  it('parks that one user: its reads and writes answer 503 user-unreadable, every other user is served, and it stays so after a restart', async () => {
    const store = new InMemoryStore();
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const system = await startTestSystem({ store, logLevel: 'error', logStream: stream });
    const api = apiClient(system.gateway.url);
    try {
      // Two users owned by the same aggregator, so that "every other user" is tested where it matters.
      const owner = aggregatorOf(partitionOf('poisoned', 12), 3);
      const neighbour = ['n0', 'n1', 'n2', 'n3', 'n4', 'n5', 'n6', 'n7'].find(
        (id) => aggregatorOf(partitionOf(id, 12), 3) === owner,
      )!;
      expect(
        (await api.create({ id: 'poisoned', name: 'P', email: 'p@example.com', group: 1 })).status,
      ).toBe(201);
      expect(
        (await api.create({ id: neighbour, name: 'N', email: 'n@example.com', group: 2 })).status,
      ).toBe(201);
      await store.events.append('poisoned', 1, [poisonEvent('poisoned', 1, poison)]);

      const parked = () =>
        fetch(`${system.aggregator(owner).url}/metrics`).then(
          async (answer) =>
            (await answer.text()).match(/^aggregator_parked_users\{[^}]*\} (\d+)/m)?.[1],
        );
      await waitUntil(async () => (await parked()) === '1', {
        describe: `aggregator ${owner} to report one parked user`,
        timeoutMs: 10_000,
        intervalMs: 20,
      });

      for (const answer of [
        await api.get('poisoned'),
        await api.update({ id: 'poisoned', group: 5 }),
      ]) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(answer.body).toEqual(
          expect.objectContaining({
            type: problemTypeMatching('/problems/user-unreadable'),
            detail: expect.stringContaining('poisoned'),
          }),
        );
      }
      expect((await api.get(neighbour)).status).toBe(200);
      expect((await fetch(`${system.aggregator(owner).url}/readyz`)).status).toBe(200);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', userId: 'poisoned', eventId: 'poison-event-1' }),
      );
      expect(JSON.stringify(lines)).not.toContain('Secret Name');

      // Its checkpoint was held before the event, so a restarted aggregator meets it again.
      await system.aggregator(owner).aggregator.snapshot();
      await system.stopAggregator(owner, 'graceful');
      await system.startAggregator(owner);
      await waitUntil(async () => (await parked()) === '1', {
        describe: `aggregator ${owner} to report one parked user`,
        timeoutMs: 10_000,
        intervalMs: 20,
      });
      expect((await api.get('poisoned')).status).toBe(503);
      expect((await api.get(neighbour)).status).toBe(200);
    } finally {
      await system.close();
    }
  });
});
