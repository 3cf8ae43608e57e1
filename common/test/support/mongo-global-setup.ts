import { DryMongoBinary, MongoMemoryReplSet } from 'mongodb-memory-server';

/**
 * Decides once per test run where the MongoDB suites run, and tells the test workers through
 * MONGO_TEST_URL (a replica set) and MONGO_TEST_BINARY (a mongod to start more from); unset,
 * those suites are skipped. No binary is ever downloaded here: this machine's network cannot
 * fetch one, and a test run should not depend on a download anyway.
 */
export default async function setUpMongo(): Promise<void> {
  const binary = await DryMongoBinary.locateBinary(DryMongoBinary.getEnsuredOptions());
  if (binary) process.env.MONGO_TEST_BINARY = binary;

  if (process.env.MONGO_URL) {
    process.env.MONGO_TEST_URL = process.env.MONGO_URL;
    report('MongoDB suites run against MONGO_URL.');
  } else if (binary) {
    const replSet = await MongoMemoryReplSet.create({
      replSet: { count: 1, storageEngine: 'wiredTiger' },
      binary: { systemBinary: binary },
    });
    globalThis.mongoReplSetForTests = replSet;
    process.env.MONGO_TEST_URL = replSet.getUri();
    report(`MongoDB suites run against a 1-member replica set started from ${binary}.`);
  }

  if (!binary) {
    report(
      `MongoDB suites skipped${process.env.MONGO_URL ? ' (except those using MONGO_URL)' : ''}: ` +
        "no mongod binary here (MONGOMS_SYSTEM_BINARY unset, none in mongodb-memory-server's cache)" +
        `${process.env.MONGO_URL ? '' : ' and MONGO_URL unset'}. To run them: ` +
        'MONGOMS_SYSTEM_BINARY=/path/to/mongod npm test' +
        `${process.env.MONGO_URL ? '' : ", or MONGO_URL='mongodb://host:27017/?replicaSet=rs0' npm test for all but mongo-init's"}.`,
    );
  }
}

function report(line: string): void {
  process.stdout.write(`\n${line}\n`);
}

declare global {
  var mongoReplSetForTests: MongoMemoryReplSet | undefined;
}
