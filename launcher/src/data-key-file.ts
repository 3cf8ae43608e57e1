import { ConfigError } from '@user-service/common/config';
import {
  MasterKeyError,
  newMasterKeyText,
  parseMasterKeys,
} from '@user-service/common/personal-data';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeFileOnce } from './file-made-once';

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
 * the data keys in the store are wrapped with it; launchers started at once (npm start, chaos,
 * bench) agree on one key.
 * Throws ConfigError when the file is there but holds no master key; the key itself is never
 * returned, shown or put in a message.
 */
export function ensureDataKeyFile(path: string): DataKeyFile {
  const created = makeFileOnce(path, () => `${newMasterKeyText()}\n`);
  checkKeyFile(path);
  return { path, created };
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
