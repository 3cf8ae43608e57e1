import type { MongoMemoryReplSet } from 'mongodb-memory-server';
import type * as MongoSetUp from './mongo-global-mongod';

/**
 * Decides once per test run where the MongoDB suites run (see mongo-global-mongod.ts). Jest
 * loads this file with Node's own resolution, where the workspaces' packages are their built
 * dist/, so the unit loop (MONGO_SUITES=skip) must not load them: it needs no build. Every
 * other run finds a mongod through the launcher's built code, which `npm test` builds first.
 */
export default async function setUpMongo(): Promise<void> {
  if (process.env.MONGO_SUITES === 'skip') {
    report(
      'MongoDB suites skipped: MONGO_SUITES=skip (the fast unit loop). `npm test` runs them where a mongod can be had.',
    );
    return;
  }
  await loadMongoSetUp().findMongoForTests(report);
}

/**
 * Loaded here and not at the top, so that the skip above loads nothing built. `require`, since
 * TypeScript keeps an `import()` as Node's own, which cannot load this TypeScript file.
 */
function loadMongoSetUp(): typeof MongoSetUp {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require('./mongo-global-mongod') as typeof MongoSetUp;
  } catch (error) {
    throw isMissingBuild(error) ? new Error(MISSING_BUILD) : error;
  }
}

const MISSING_BUILD =
  "The MongoDB suites' set-up runs the workspaces' built code (dist/), and there is none: " +
  'run `npm run build` first (`npm test` and `npm run test:system` do), ' +
  'or MONGO_SUITES=skip to run only what needs no MongoDB.';

/** A workspace package's dist/ not found (`Cannot find module …/common/dist/index.js`). */
function isMissingBuild(error: unknown): boolean {
  return (
    typeof error === 'object' &&
    error !== null &&
    'code' in error &&
    error.code === 'MODULE_NOT_FOUND' &&
    'message' in error &&
    typeof error.message === 'string' &&
    /[\\/]dist[\\/]/.test(error.message)
  );
}

function report(line: string): void {
  process.stdout.write(`\n${line}\n`);
}

declare global {
  var mongoReplSetForTests: MongoMemoryReplSet | undefined;
}
