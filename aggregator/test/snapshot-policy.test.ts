import type { UserEvent } from '@user-service/common/domain';
import { created, eventsFor, fieldsFor, updated } from '@user-service/test-support';
import { SnapshotPolicy } from '../src/snapshot-policy';

const [create, ...updates] = eventsFor(
  'ada',
  0,
  created(fieldsFor(1)),
  ...Array.from({ length: 5 }, (_, n) => updated({ group: n })),
);
const erasure: UserEvent = { ...create!, type: 'UserErased', data: { deleted: true }, version: 7 };

function policy(snapshotEvery: number, checkpointEveryMs = 60_000) {
  let now = 0;
  const snapshots = new SnapshotPolicy({ snapshotEvery, checkpointEveryMs, now: () => now });
  return { snapshots, advance: (ms: number) => (now += ms) };
}

describe('snapshot policy', () => {
  it('asks for a snapshot every `snapshotEvery` events, counting again after each one taken', () => {
    const { snapshots } = policy(3);
    expect([create!, ...updates].map((event) => snapshots.dueAfter(event))).toEqual([
      false,
      false,
      true,
      true,
      true,
      true,
    ]);
    snapshots.taken();
    expect(updates.slice(0, 3).map((event) => snapshots.dueAfter(event))).toEqual([
      false,
      false,
      true,
    ]);
  });

  it('saves an erasure at once, so that the snapshot stops counting and listing the user', () => {
    const { snapshots } = policy(100);
    expect(snapshots.dueAfter(create!)).toBe(false);
    expect(snapshots.dueAfter(erasure)).toBe(true);
  });

  it('while quiet, asks for the checkpoint once `checkpointEveryMs` passed since the last snapshot', () => {
    const { snapshots, advance } = policy(100, 1000);
    advance(999);
    expect(snapshots.dueWhenQuiet()).toBe(false);
    advance(1);
    expect(snapshots.dueWhenQuiet()).toBe(true);
    snapshots.taken();
    expect(snapshots.dueWhenQuiet()).toBe(false);
  });
});
