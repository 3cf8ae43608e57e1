import { errorText } from '@user-service/common/observability';
import { obtainMongod } from '@user-service/launcher';
import { startReplicaSet } from '@user-service/launcher';

/**
 * Decides where the MongoDB suites run, and tells the test workers through
 * MONGO_TEST_URL (a replica set) and MONGO_TEST_BINARY (a mongod to start more from); unset,
 * those suites are skipped, and exactly one printed line says why and how to run them. Without
 * MONGO_URL a mongod is downloaded when none is here (where the network allows); nothing here
 * throws, because a failed setup would fail every suite instead of skipping some.
 */
export async function findMongoForTests(report: (line: string) => void): Promise<void> {
  const mongoUrl = process.env.MONGO_URL;
  // With MONGO_URL only mongo-init's suite needs a binary, and it is not worth a download.
  const mongod = await obtainMongod({ download: !mongoUrl, log: report });
  if (mongod.binary !== undefined) process.env.MONGO_TEST_BINARY = mongod.binary;

  if (mongoUrl) {
    process.env.MONGO_TEST_URL = mongoUrl;
    report('MongoDB suites run against MONGO_URL.');
    if (mongod.binary === undefined) {
      report(
        `MongoDB suites skipped (except those using MONGO_URL): ${mongod.reason}. To run them: MONGOMS_SYSTEM_BINARY=/path/to/mongod npm test.`,
      );
    }
    return;
  }
  if (mongod.binary === undefined) {
    report(
      `MongoDB suites skipped: MONGO_URL unset and ${mongod.reason}. To run them: MONGOMS_SYSTEM_BINARY=/path/to/mongod npm test, ` +
        "or MONGO_URL='mongodb://host:27017/?replicaSet=rs0' npm test for all but mongo-init's.",
    );
    return;
  }

  try {
    // Test commands let suites inject faults with configureFailPoint; a server the run starts itself may have them.
    const replSet = await startReplicaSet({
      binary: mongod.binary,
      args: ['--setParameter', 'enableTestCommands=1'],
    });
    globalThis.mongoReplSetForTests = replSet;
    process.env.MONGO_TEST_URL = replSet.getUri();
    process.env.MONGO_TEST_COMMANDS = '1';
    report(
      `MongoDB suites run against a 1-member replica set started from ${mongod.binary}, with test commands enabled.`,
    );
  } catch (error) {
    delete process.env.MONGO_TEST_BINARY;
    report(
      `MongoDB suites skipped: a replica set could not be started from ${mongod.binary} (${firstLine(error)}). ` +
        "To run them: MONGOMS_SYSTEM_BINARY=/path/to/a/working/mongod npm test, or MONGO_URL='mongodb://host:27017/?replicaSet=rs0' npm test.",
    );
  }
}

function firstLine(error: unknown): string {
  return (
    errorText(error)
      .split('\n')
      .find((line) => line.trim())
      ?.trim() ?? 'no reason given'
  );
}
