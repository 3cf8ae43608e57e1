import { SubscriptionEndedError } from '@user-service/common/store';
import { type UserEvent } from '@user-service/common/domain';
import { created, deleted, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import { VersionGate } from '../../src/store/version-gate';

/** Ada's stored events, versions 1 to 4. */
const stored = eventsFor(
  'ada',
  0,
  created(fieldsFor(1)),
  updated({ group: 2 }),
  updated({ group: 3 }),
  deleted(),
);
const [v1, v2, v3, v4] = stored;

/** A gate over a store that holds `inStore`, with what it passes on. */
function gate(inStore: readonly UserEvent[], knownVersions = new Map<string, number>()) {
  const passed: number[] = [];
  const reads: number[] = [];
  const versionGate = new VersionGate(
    knownVersions,
    async (userId, afterVersion) => {
      reads.push(afterVersion);
      return inStore.filter((event) => event.userId === userId && event.version > afterVersion);
    },
    async (event) => {
      passed.push(event.version);
    },
  );
  return { versionGate, passed, reads };
}

describe('version gate', () => {
  it('passes each next version on, and drops what the subscriber already has', async () => {
    const { versionGate, passed, reads } = gate(stored, new Map([['ada', 1]]));
    for (const event of [v1!, v2!, v2!, v3!, v1!]) await versionGate.offer(event, null);
    expect(passed).toEqual([2, 3]);
    expect(reads).toEqual([]);
  });

  it('fills a gap from the store before passing the event after it', async () => {
    const { versionGate, passed, reads } = gate(stored);
    await versionGate.offer(v1!, null);
    await versionGate.offer(v4!, null);
    expect(passed).toEqual([1, 2, 3, 4]);
    expect(reads).toEqual([1]);
  });

  it('ends the subscription with an event-gap naming the events missing from the store', async () => {
    const { versionGate, passed } = gate([v1!, v4!]);
    await versionGate.offer(v1!, null);
    const offered = versionGate.offer(v4!, null);
    await expect(offered).rejects.toThrow(SubscriptionEndedError);
    await expect(offered).rejects.toMatchObject({ reason: 'event-gap' });
    await expect(offered).rejects.toThrow('events 2..3 of user ada are missing from the store');
    expect(passed).toEqual([1]);
  });

  it('passes what the store does hold before the hole, and names only the hole', async () => {
    const { versionGate, passed } = gate([v1!, v2!, v4!]);
    await versionGate.offer(v1!, null);
    await expect(versionGate.offer(v4!, null)).rejects.toThrow(
      'events 3..3 of user ada are missing from the store',
    );
    expect(passed).toEqual([1, 2]);
  });

  it('passes nothing past a hole, even what the store holds after it', async () => {
    const [, , , , v5] = eventsFor(
      'ada',
      0,
      created(fieldsFor(1)),
      updated({ group: 2 }),
      updated({ group: 3 }),
      updated({ group: 4 }),
      updated({ group: 5 }),
    );
    const { versionGate, passed } = gate([v1!, v2!, v4!, v5!]);
    await versionGate.offer(v1!, null);

    await expect(versionGate.offer(v5!, null)).rejects.toMatchObject({ reason: 'event-gap' });
    expect(passed).toEqual([1, 2]);
  });
});
