// The files mutation testing scores, in groups, each with the test files that can kill its
// mutants. Why groups: jest loads every test file it matches for every mutant (the tests import
// common's barrels, so `findRelatedTests` finds nearly all of them), and each file costs about
// 0.2 s to load; a group loads only its own handful, which makes a mutant 2-4 s instead of 10 s.

const domain = 'common/src/domain';
const store = 'common/src/store';
const personalData = 'common/src/personal-data';

/** @type {Record<string, { mutate: string[], tests: string[] }>} */
export const GROUPS = {
  domain: {
    mutate: [
      `${domain}/as-of.ts`,
      `${domain}/command-failures.ts`,
      `${domain}/decide.ts`,
      `${domain}/email-claims.ts`,
      `${domain}/events.ts`,
      `${domain}/evolve.ts`,
      `${domain}/partitioning.ts`,
      `${domain}/unreadable-event.ts`,
      `${domain}/user.ts`,
      `${domain}/validation.ts`,
    ],
    tests: [
      'common/test/domain/*.test.ts',
      'common/test/personal-data/personal-data.test.ts',
      'common/test/store/memory-store.test.ts',
      'common/test/store/store-contract.test.ts',
      'gateway/test/routes.test.ts',
      'gateway/test/idempotent-writes.test.ts',
      'gateway/test/user-commands.test.ts',
    ],
  },
  store: {
    mutate: [
      `${store}/version-gate.ts`,
      `${store}/catch-up-subscription.ts`,
      `${store}/sorted-ids.ts`,
    ],
    tests: [
      'common/test/store/version-gate.test.ts',
      'common/test/store/catch-up-subscription.test.ts',
      'common/test/store/sorted-ids.test.ts',
      'common/test/store/memory-store.test.ts',
      'common/test/store/store-contract.test.ts',
    ],
  },
  'personal-data': {
    mutate: [`${personalData}/sealed-text.ts`, `${personalData}/data-key-wrapping.ts`],
    tests: ['common/test/personal-data/*.test.ts'],
  },
  gateway: {
    mutate: ['gateway/src/idempotency-key.ts', 'gateway/src/user-commands.ts'],
    tests: [
      'gateway/test/idempotency-key.test.ts',
      'gateway/test/user-commands.test.ts',
      'gateway/test/idempotent-writes.test.ts',
      'gateway/test/routes.test.ts',
    ],
  },
  reads: {
    // The reads of one turn sent together (decision 0013), and the MongoDB user read's paging.
    mutate: [
      'gateway/src/turn-batches.ts',
      'aggregator/src/internal-batch-read.ts',
      'common/src/store/mongo/events-after-page.ts',
    ],
    tests: [
      'gateway/test/turn-batches.test.ts',
      'gateway/test/aggregator-client.test.ts',
      'aggregator/test/internal-api.test.ts',
      'aggregator/test/aggregator-metrics.test.ts',
      'common/test/store/mongo/events-after-page.test.ts',
    ],
  },
};
