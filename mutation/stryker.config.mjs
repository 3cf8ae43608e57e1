// StrykerJS for `npm run test:mutation` (mutation/run.mjs runs it once per group of
// mutation/groups.mjs, with MUTATION_GROUP set). Run from the repository root.
import { GROUPS } from './groups.mjs';

const name = process.env.MUTATION_GROUP ?? '';
const group = GROUPS[name];
if (!group) {
  throw new Error(
    `MUTATION_GROUP must be one of ${Object.keys(GROUPS).join(', ')} (got "${name}"); ` +
      '`npm run test:mutation` runs them all',
  );
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  packageManager: 'npm',
  testRunner: 'jest',
  plugins: ['@stryker-mutator/jest-runner', '@stryker-mutator/typescript-checker'],
  mutate: group.mutate,
  jest: {
    projectType: 'custom',
    // The root package.json's jest config, with only this group's test files.
    config: { testMatch: group.tests.map((glob) => `<rootDir>/${glob}`) },
    // Every test imports the package barrels, so related tests are nearly all of them: the
    // narrowed testMatch above does the selecting.
    enableFindRelatedTests: false,
  },
  // Mutants that break the types are dropped before any test runs (half of them, in unions and
  // exhaustive switches), on a config that checks only the mutated workspaces' sources.
  checkers: ['typescript'],
  tsconfigFile: 'mutation/tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // Static mutants (run while a module loads: schemas, RegExps, constants) are run and counted.
  ignoreStatic: false,
  concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
  timeoutMS: 10000,
  // Tests call no MongoDB here; its suites skip themselves.
  testRunnerNodeArgs: [],
  ignorePatterns: ['/.data', '/bench/results', '/reports', '**/dist'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${name}.html` },
  jsonReporter: { fileName: `reports/mutation/${name}.json` },
  thresholds: { high: 90, low: 80, break: null },
};
