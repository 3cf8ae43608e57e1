/** Runs a suite against MongoDB when the test run found one (see mongo-global-setup.ts). */
export function describeWithMongo(name: string, suite: (mongoUrl: string) => void): void {
  const mongoUrl = process.env.MONGO_TEST_URL;
  if (mongoUrl) describe(name, () => suite(mongoUrl));
  // The reason for the skip was printed once, at the start of the run.
  else describe.skip(name, () => suite(''));
}
