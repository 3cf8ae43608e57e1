import { boundedClientOptions, TAIL_WAIT_MS } from '../../../src/store/mongo/client-options';
import { mongoWaits } from '../../../src/store/mongo/mongo-store';

describe('the MongoDB client options', () => {
  it('bounds the majority wait, the server selection and the pool wait each by its own setting', () => {
    const options = boundedClientOptions(
      mongoWaits({ timeoutMs: 2000, writeConcernTimeoutMs: 5000, serverSelectionTimeoutMs: 3000 }),
    );
    expect(options).toMatchObject({
      writeConcern: { w: 'majority', wtimeoutMS: 5000 },
      readConcern: { level: 'majority' },
      serverSelectionTimeoutMS: 3000,
      waitQueueTimeoutMS: 2000,
    });
  });

  it('gives the majority wait and the server selection the store timeout when they are not set', () => {
    expect(mongoWaits({ timeoutMs: 1500 })).toEqual({
      operationMs: 1500,
      writeConcernMs: 1500,
      serverSelectionMs: 1500,
    });
    expect(mongoWaits({})).toEqual({
      operationMs: 2000,
      writeConcernMs: 2000,
      serverSelectionMs: 2000,
    });
  });

  // A socket timeout under one of these would cut a healthy connection mid-answer; none (0)
  // leaves a half-open connection hanging until a heartbeat fails.
  it.each([
    ['the read and commit time', { timeoutMs: 9000, writeConcernTimeoutMs: 1000 }, 9000],
    ['the majority wait', { timeoutMs: 1000, writeConcernTimeoutMs: 7000 }, 7000],
    ['the tail’s await', { timeoutMs: 100, writeConcernTimeoutMs: 100 }, TAIL_WAIT_MS],
  ])('cuts a connection only a little after the longest wait: %s', (_, given, longest) => {
    const { socketTimeoutMS } = boundedClientOptions(mongoWaits(given));
    expect(socketTimeoutMS).toBeGreaterThan(longest);
    expect(socketTimeoutMS).toBeLessThanOrEqual(longest + 2000);
  });
});
