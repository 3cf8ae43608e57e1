import { createLogger } from '@user-service/common/observability';
import { InMemoryStore } from '@user-service/common/store/memory';
import { PassThrough } from 'node:stream';
import { PartitionOwners } from '../src/partition-owners';

const quiet = createLogger({ service: 'gateway', stream: new PassThrough().resume() });
const blue = { name: 'blue', url: 'http://10.0.0.1:9100' };
const green = { name: 'green', url: 'http://10.0.0.2:9100' };

describe('partition owners, as a gateway routes by them', () => {
  let store: InMemoryStore;
  let owners: PartitionOwners;
  let told: string[][];

  beforeEach(async () => {
    store = new InMemoryStore({ partitions: 4 });
    told = [];
    owners = new PartitionOwners(
      store.leases,
      () => 4,
      quiet,
      60_000,
      (current) => told.push(current.map((holder) => holder.name)),
    );
  });

  afterEach(() => owners.close());

  it('groups the partitions by owner, and names those without one', async () => {
    await store.leases.acquire(0, blue, 60_000);
    await store.leases.acquire(2, blue, 60_000);
    await store.leases.acquire(3, green, 60_000);
    await owners.start();
    expect(owners.shares()).toEqual({
      owned: [
        { holder: blue, partitions: [0, 2] },
        { holder: green, partitions: [3] },
      ],
      unowned: [1],
    });
    expect(owners.ownerOf(3)).toEqual(green);
    expect(owners.ownerOf(1)).toBeUndefined();
    expect(told).toEqual([['blue', 'green']]);
  });

  it('learns of a new owner when asked to read the leases again, a moment after its last read', async () => {
    await owners.start();
    expect(owners.ownerOf(1)).toBeUndefined();
    await store.leases.acquire(1, green, 60_000);
    await new Promise((resolve) => setTimeout(resolve, 150));
    owners.refreshSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(owners.ownerOf(1)).toEqual(green);
  });

  it('keeps routing as before while the leases cannot be read', async () => {
    await store.leases.acquire(0, blue, 60_000);
    await owners.start();
    store.outage.setDown(true);
    owners.refreshSoon();
    await new Promise((resolve) => setImmediate(resolve));
    expect(owners.ownerOf(0)).toEqual(blue);
  });

  it('routes nothing before the partition count is known', async () => {
    const unknown = new PartitionOwners(store.leases, () => null, quiet, 60_000);
    await unknown.start();
    expect(unknown.shares()).toEqual({ owned: [], unowned: [] });
    unknown.close();
  });
});
