import { dataDirectoryProblem } from '../src/data-directory-problem';

// The failures as mongodb-memory-server throws them: its own wording around mongod's, where it passes that on.
const DIR = '/repo/.data/mongo';

describe('the message for a data directory the embedded MongoDB cannot start on', () => {
  it('says that another major version wrote it when mongod exits with 62 (incompatible data files)', () => {
    const message = dataDirectoryProblem(
      DIR,
      'Instance closed unexpectedly with code "62" and signal "null"',
    );

    expect(message).toBe(
      `The embedded MongoDB could not start on the data in ${DIR}: it was written by another MongoDB major version ` +
        '(mongod exited with code 62). Run the mongod version that wrote it (MONGOMS_SYSTEM_BINARY=/path/to/mongod, ' +
        `or MONGOMS_VERSION=<version> to have that one downloaded). Move ${DIR} away or delete it to start afresh ` +
        '(its users are lost), or set EMBEDDED_MONGO_DIR to another directory.',
    );
  });

  it("quotes mongod's featureCompatibilityVersion complaint when it has one", () => {
    const failure =
      'Instance Failed to start with "DBException in initAndListen". Original Error:\n' +
      'UPGRADE PROBLEM: Found an invalid featureCompatibilityVersion document (ERROR: Location4926900: Invalid featureCompatibilityVersion ' +
      "document in admin.system.version: { _id: \"featureCompatibilityVersion\", version: \"5.0\" }. :: caused by :: Invalid feature compatibility version value '5.0'; expected '7.0' or '7.3' or '8.0').";

    const message = dataDirectoryProblem(DIR, failure);

    expect(message).toContain(
      'it was written by another MongoDB major version (UPGRADE PROBLEM: Found an invalid featureCompatibilityVersion document',
    );
    expect(message).toContain('MONGOMS_SYSTEM_BINARY');
  });

  it('says "another version, or damaged" with the cause when mongod does not say which', () => {
    const failure =
      'Instance Failed to start with "DBException in initAndListen". Original Error:\n' +
      "Location28662: Cannot start server. Detected data files in /repo/.data/mongo created by the 'mmapv1' storage engine, but the specified storage engine was 'wiredTiger'.";

    const message = dataDirectoryProblem(DIR, failure);

    expect(message).toContain(
      `could not start on the data in ${DIR}: it was written by another MongoDB major version, or it is damaged (Location28662: Cannot start server.`,
    );
    expect(message).toContain(`Move ${DIR} away or delete it to start afresh (its users are lost)`);
    expect(message).toContain('MONGOMS_SYSTEM_BINARY / MONGOMS_VERSION');
    expect(message).not.toContain('Original Error');
  });

  it('says the same for an internal error while opening it', () => {
    expect(dataDirectoryProblem(DIR, 'Mongod internal error (fassert() failure)')).toContain(
      'or it is damaged (Mongod internal error (fassert() failure))',
    );
  });

  it('tells a directory in use by another mongod apart from a damaged one', () => {
    const failure =
      'Instance Failed to start with "DBException in initAndListen". Original Error:\n' +
      `DBPathInUse: Unable to lock the lock file: ${DIR}/mongod.lock (Resource temporarily unavailable). Another mongod instance is already running on the ${DIR} directory`;

    const message = dataDirectoryProblem(DIR, failure);

    expect(message).toContain('another mongod is using it');
    expect(message).toContain('EMBEDDED_MONGO_DIR and EMBEDDED_MONGO_PORT');
    expect(message).not.toContain('delete');
  });

  it('names both replica set names when the data belongs to a set named otherwise', () => {
    const message = dataDirectoryProblem(
      DIR,
      'Attempting to reconfigure a replica set with name testset, but command line reports rs0; rejecting',
    );

    expect(message).toContain(
      'it belongs to a replica set named testset, and the embedded one is named rs0',
    );
    expect(message).toContain(`Move ${DIR} away or delete it`);
  });

  it('points at the port when the saved configuration names another one', () => {
    const message = dataDirectoryProblem(
      DIR,
      'No host described in new configuration with {version: 2, term: 1} for replica set rs0 maps to this node',
    );

    expect(message).toContain('another EMBEDDED_MONGO_PORT');
  });

  it.each([
    ['a port in use', 'Port "27517" already in use'],
    [
      'a CPU without AVX',
      'Instance closed unexpectedly with code "null" and signal "SIGILL"\nThe Process Exited with SIGILL, which mean illegal instruction',
    ],
    [
      'a missing library',
      'Instance failed to start because a library is missing or cannot be opened: "libcrypto.so.3"',
    ],
    ['a slow start', 'Instance failed to start within 60000ms'],
  ])(
    'leaves failures that are not about the data, like %s, to be shown as they are',
    (_, failure) => {
      expect(dataDirectoryProblem(DIR, failure)).toBeUndefined();
    },
  );
});
