import { warmUp } from '../src/warm-up';

describe('warmUp', () => {
  it('takes a throwaway copy of the system through every kind of request, each answered as the API says', async () => {
    const { statuses } = await warmUp({ aggregatorCount: 2, partitions: 4, snapshotEvery: 10 }, 16);
    // Per user: a create (201); two reads, an update, a keyed update, a merge patch, the history,
    // a list, a count and the statistics (200); a read of no one (404); a bad body (400); a delete (204).
    expect(statuses).toEqual({ '200': 16 * 9, '201': 16, '204': 16, '400': 16, '404': 16 });
  });
});
