import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReplicaSet } from '../src/replica-set';

/**
 * A stand-in for a mongod meeting data files from an older major version: it answers the
 * `--version` probe, then logs what mongod 8 logs in that case and exits with 62, as mongod does.
 * No real mongod is involved; mongodb-memory-server runs this script as it would run one.
 */
const FAKE_MONGOD = `#!/bin/sh
if [ "$1" = "--version" ]; then echo "db version v8.2.6"; exit 0; fi
echo '{"t":{"$date":"2025-01-01T00:00:00.000+00:00"},"s":"F","c":"CONTROL","id":20573,"ctx":"initandlisten","msg":"Wrong mongod version","attr":{"error":"UPGRADE PROBLEM: Found an invalid featureCompatibilityVersion document"}}'
exit 62
`;

describe('starting the replica set on a data directory written by another version', () => {
  let dir: string;
  let binary: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'replica-set-'));
    binary = join(dir, 'mongod');
    writeFileSync(binary, FAKE_MONGOD);
    chmodSync(binary, 0o755);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('fails with one message saying what to do about that directory, and no stack trace', async () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    writeFileSync(
      join(dataDir, 'WiredTiger'),
      'WiredTiger\nWiredTiger 11.2.0: (November 10, 2022)\n',
    );
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    const started = startReplicaSet({ binary, dataDir });

    await expect(started).rejects.toThrow(
      `The embedded MongoDB could not start on the data in ${dataDir}: it was written by another MongoDB major version (mongod exited with code 62). ` +
        'Run the mongod version that wrote it (MONGOMS_SYSTEM_BINARY=/path/to/mongod',
    );
    expect(warn).not.toHaveBeenCalled();
    warn.mockRestore();
  });

  it('passes the failure on as it is when the directory was empty, since its data cannot be the cause', async () => {
    const dataDir = join(dir, 'empty');
    jest.spyOn(console, 'warn').mockImplementation(() => undefined);

    await expect(startReplicaSet({ binary, dataDir })).rejects.toThrow(
      'Instance closed unexpectedly with code "62"',
    );
    jest.restoreAllMocks();
  });
});
