import { MasterKeyError, type MasterKeyring, parseMasterKeys } from '../personal-data/master-keys';
import { ConfigError, type Environment, readConfig, type VariableParser } from './config';

/** What a gateway or aggregator started without a master key says, and nothing more. */
export const MASTER_KEY_REQUIRED =
  "DATA_KEY or DATA_KEY_FILE is required: the master key that wraps the users' data keys " +
  '(32 bytes in base64; make one with: openssl rand -base64 32)';

/**
 * The master keys, from DATA_KEY or from the file DATA_KEY_FILE names (a Docker secret): base64
 * keys of 32 bytes separated by commas or lines, the current one first. A message about them
 * names the variable or the file, never a key. 'optional' gives undefined when neither is set.
 */
export function readMasterKeys(env: Environment, need: 'required'): MasterKeyring;
export function readMasterKeys(
  env: Environment,
  need: 'required' | 'optional',
): MasterKeyring | undefined;
export function readMasterKeys(
  env: Environment,
  need: 'required' | 'optional',
): MasterKeyring | undefined {
  return readConfig(env, { DATA_KEY: masterKeyring(env, need) }).DATA_KEY;
}

function masterKeyring(
  env: Environment,
  need: 'required' | 'optional',
): VariableParser<MasterKeyring | undefined> {
  return (raw, variable) => {
    if (raw === undefined) {
      if (need === 'optional') return undefined;
      throw new ConfigError(MASTER_KEY_REQUIRED);
    }
    const file = env[`${variable}_FILE`] || undefined;
    try {
      return parseMasterKeys(raw, file === undefined ? variable : `${variable}_FILE (${file})`);
    } catch (error) {
      if (error instanceof MasterKeyError) throw new ConfigError(error.message);
      throw error;
    }
  };
}
