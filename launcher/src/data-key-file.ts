import { ConfigError } from '@user-service/common/config';
import {
  MasterKeyError,
  newMasterKeyText,
  parseMasterKeys,
} from '@user-service/common/personal-data';
import { chmodSync, linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Where `npm start` keeps its master key: beside the embedded MongoDB's data (./.data/data-key). */
export function dataKeyFileBeside(dataDir: string): string {
  return join(dirname(dataDir), 'data-key');
}

export interface DataKeyFile {
  readonly path: string;
  /** True when this call made the key: the first start. */
  readonly created: boolean;
}

/**
 * The master key file of `npm start` when neither DATA_KEY nor DATA_KEY_FILE is set: made on the
 * first start (a new key, readable by its owner alone) and read as it is on every later one, as
 * the data keys in the store are wrapped with it. Launchers started at once (npm start, chaos,
 * bench) agree on one key: the file appears whole or not at all, and only the first one wins.
 * Throws ConfigError when the file is there but holds no master key; the key itself is never
 * returned, shown or put in a message.
 */
export function ensureDataKeyFile(path: string): DataKeyFile {
  mkdirSync(dirname(path), { recursive: true });
  let created = false;
  const staged = `${path}.${process.pid}.new`;
  rmSync(staged, { force: true });
  try {
    writeFileSync(staged, `${newMasterKeyText()}\n`, { mode: 0o600, flag: 'wx' });
    chmodSync(staged, 0o600);
    try {
      // Takes the name only if nothing holds it yet: a key already there is never replaced.
      linkSync(staged, path);
      created = true;
    } catch (error) {
      if (!isAlreadyThere(error)) throw error;
    }
  } finally {
    rmSync(staged, { force: true });
  }
  checkKeyFile(path);
  return { path, created };
}

function isAlreadyThere(error: unknown): boolean {
  // Not `instanceof Error`: Node's fs errors may come from another realm (as under jest).
  return typeof error === 'object' && error !== null && 'code' in error && error.code === 'EEXIST';
}

function checkKeyFile(path: string): void {
  try {
    parseMasterKeys(readFileSync(path, 'utf8'), path);
  } catch (error) {
    if (!(error instanceof MasterKeyError)) throw error;
    throw new ConfigError(
      `${error.message}: it is the master key \`npm start\` made for the data beside it; ` +
        'restore it from a backup, or set DATA_KEY or DATA_KEY_FILE to the key that data was written with',
    );
  }
}
