// The reason for a skip below was printed once, at the start of the run (mongo-global-setup.ts).

/** Runs a suite against the MongoDB replica set the test run found, if any. */
export function describeWithMongo(name: string, suite: (mongoUrl: string) => void): void {
  const mongoUrl = process.env.MONGO_TEST_URL;
  if (mongoUrl) describe(name, () => suite(mongoUrl));
  else describe.skip(name, () => suite(''));
}

/** Runs a suite that starts mongod processes of its own, if the test run found a binary. */
export function describeWithMongoBinary(name: string, suite: (binary: string) => void): void {
  const binary = process.env.MONGO_TEST_BINARY;
  if (binary) describe(name, () => suite(binary));
  else describe.skip(name, () => suite(''));
}

/**
 * Whether the replica set under test accepts test commands (configureFailPoint): true when the
 * test run started it itself, or when MONGO_TEST_COMMANDS=1 says that the MONGO_URL server does.
 */
export function mongoTestCommandsEnabled(): boolean {
  return process.env.MONGO_TEST_COMMANDS === '1';
}
