import { InMemoryStore } from '@user-service/common/store/memory';
import {
  type PartitionServing,
  PartitionOwnership,
  preferredPartitions,
} from '../src/partition-ownership';

const LEASE_MS = 3000;
const PARTITIONS = 6;

/** One clock for the store and every holder, moved by hand: no test waits for real time. */
class Clock {
  ms = 1_000_000;
  readonly now = () => this.ms;
  advance(ms: number): void {
    this.ms += ms;
  }
}

/** What a node's partitions went through, in order. */
class RecordedServing implements PartitionServing {
  readonly steps: string[] = [];
  take(partition: number, epoch: number): void {
    this.steps.push(`take ${partition}@${epoch}`);
  }
  async drop(partition: number): Promise<void> {
    this.steps.push(`drop ${partition}`);
  }
  async handOver(partition: number): Promise<void> {
    this.steps.push(`hand over ${partition}`);
  }
}

describe('partition ownership', () => {
  let clock: Clock;
  let store: InMemoryStore;

  beforeEach(() => {
    clock = new Clock();
    store = new InMemoryStore({ partitions: PARTITIONS, now: clock.now });
  });

  function holder(name: string, expectedHolders = 1) {
    const serving = new RecordedServing();
    const ownership = new PartitionOwnership({
      leases: store.leases,
      layout: () => store.layout(),
      holder: { name, url: `http://${name}:9100` },
      leaseMs: LEASE_MS,
      serving,
      expectedHolders,
      now: clock.now,
    });
    return { ownership, serving };
  }

  it('takes nothing until it sees as many holders as expected, or a lease time has passed', async () => {
    const a = holder('aggregator-0', 2);
    await a.ownership.round();
    expect(a.ownership.held).toEqual([]);
    expect(a.ownership.joined).toBe(false);

    clock.advance(LEASE_MS);
    await a.ownership.round();
    expect(a.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('shares the partitions as p % n by name, each holder at epoch 1, when started together', async () => {
    const holders = ['aggregator-0', 'aggregator-1', 'aggregator-2'].map((name) => holder(name, 3));
    for (const { ownership } of holders) await ownership.round();
    for (const { ownership } of holders) await ownership.round();
    expect(holders.map(({ ownership }) => ownership.held)).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(holders[1]?.serving.steps).toEqual(['take 1@1', 'take 4@1']);
  });

  it('hands partitions over to a newcomer with a final snapshot, which it then takes at the next epoch', async () => {
    const a = holder('aggregator-0');
    await a.ownership.round();
    expect(a.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);

    const b = holder('aggregator-1');
    await b.ownership.round(); // seen alive, but the partitions are a's until a hands them over
    expect(b.ownership.held).toEqual([]);
    await a.ownership.round();
    expect(a.ownership.held).toEqual([0, 2, 4]);
    expect(a.serving.steps.slice(-3)).toEqual(['hand over 1', 'hand over 3', 'hand over 5']);
    await b.ownership.round();
    expect(b.ownership.held).toEqual([1, 3, 5]);
    expect(b.serving.steps).toEqual(['take 1@2', 'take 3@2', 'take 5@2']);
  });

  it('stops answering as owner once its lease may have run out, before anyone can take it', async () => {
    const a = holder('aggregator-0');
    await a.ownership.round();
    expect(a.ownership.holds(0)).toBe(true);
    clock.advance(LEASE_MS * 0.9);
    expect(a.ownership.holds(0)).toBe(false);
    expect(await holder('aggregator-1').ownership.round()).toEqual([]);
  });

  it('drops, saving nothing, a partition another took while it was paused', async () => {
    const a = holder('aggregator-0');
    await a.ownership.round();
    a.ownership.pause();
    clock.advance(LEASE_MS + 1);
    await a.ownership.round(); // paused: no renewal, no store call at all

    const b = holder('aggregator-1');
    await b.ownership.round();
    expect(b.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);

    a.ownership.resume();
    expect(a.ownership.holds(0)).toBe(false);
    await a.ownership.round();
    expect(a.serving.steps.filter((step) => step.startsWith('drop'))).toHaveLength(6);
    expect(a.serving.steps.some((step) => step.startsWith('hand over'))).toBe(false);
  });

  /** Two holders that have settled their shares: aggregator-0 holds 0, 2, 4, aggregator-1 1, 3, 5. */
  async function twoSettled() {
    const a = holder('aggregator-0');
    const b = holder('aggregator-1');
    for (let round = 0; round < 2; round++) {
      await a.ownership.round();
      await b.ownership.round();
    }
    return { a, b };
  }

  it('hands everything over and leaves on a graceful stop, so the others take it at their next round', async () => {
    const { a, b } = await twoSettled();
    expect(b.ownership.held).toEqual([1, 3, 5]);

    await a.ownership.stop();
    expect(a.serving.steps.slice(-3)).toEqual(['hand over 0', 'hand over 2', 'hand over 4']);
    await b.ownership.round();
    expect(b.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('takes its partitions straight back after a crash and restart under the same name', async () => {
    const { b } = await twoSettled();
    await b.ownership.abandon();

    const restarted = holder('aggregator-1', 2);
    await restarted.ownership.round();
    expect(restarted.ownership.held).toEqual([1, 3, 5]);
    expect(restarted.serving.steps).toEqual(['take 1@3', 'take 3@3', 'take 5@3']);
  });

  it('rounds again just after a silent peer’s heartbeat runs out, and takes its partitions then', async () => {
    const { a, b } = await twoSettled();
    await b.ownership.abandon(); // dead: it renews nothing from here on
    clock.advance(LEASE_MS * 0.8);
    await a.ownership.round();
    // Due when b's heartbeat runs out (0.2 of a lease from now), not a third of a lease later.
    expect(a.ownership.nextRoundInMs).toBeCloseTo(LEASE_MS * 0.2 + 50, 0);
    clock.advance(a.ownership.nextRoundInMs);
    await a.ownership.round();
    expect(a.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.ownership.nextRoundInMs).toBe(LEASE_MS / 3);
  });

  it('looks again soon while a partition it is to take is still another’s, or its peers have not all come', async () => {
    const a = holder('aggregator-0');
    await a.ownership.round();
    const b = holder('aggregator-1', 2);
    await b.ownership.round(); // its share is a's until a hands it over
    expect(b.ownership.nextRoundInMs).toBe(200);

    const c = holder('aggregator-2', 4);
    await c.ownership.round(); // three of the four it expects
    expect(c.ownership.nextRoundInMs).toBe(200);
  });

  it('keeps what it holds when the store cannot be reached, and trusts it only for the lease', async () => {
    const a = holder('aggregator-0');
    await a.ownership.round();
    store.outage.setDown(true);
    await expect(a.ownership.round()).rejects.toThrow(/store is down/);
    expect(a.ownership.held).toEqual([0, 1, 2, 3, 4, 5]);
    clock.advance(LEASE_MS);
    expect(a.ownership.holds(0)).toBe(false);

    store.outage.setDown(false);
    await a.ownership.round(); // no one took them meanwhile: renewed at the same epoch
    expect(a.ownership.holds(0)).toBe(true);
    expect(a.ownership.epochOf(0)).toBe(1);
  });
});

describe('the preferred assignment', () => {
  const named = (...names: string[]) => names.map((name) => ({ name, url: `http://${name}` }));

  it('orders holders by name with numbers compared as numbers', () => {
    const live = named('aggregator-10', 'aggregator-2', 'aggregator-1');
    expect([...preferredPartitions('aggregator-1', live, 6)]).toEqual([0, 3]);
    expect([...preferredPartitions('aggregator-2', live, 6)]).toEqual([1, 4]);
    expect([...preferredPartitions('aggregator-10', live, 6)]).toEqual([2, 5]);
  });

  it('gives nothing to a holder not among the live ones', () => {
    expect(preferredPartitions('stranger', named('a', 'b'), 4).size).toBe(0);
  });
});
