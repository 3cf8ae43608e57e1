import {
  ConfigError,
  configOrExit,
  MASTER_KEY_REQUIRED,
  readMasterKeys,
  readSharedConfig,
} from '@user-service/common/config';
import { newMasterKeyText, parseMasterKeys } from '@user-service/common/personal-data';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const mongo = { MONGO_URL: 'mongodb://db/?replicaSet=rs0' };

/** What configOrExit writes and the code it exits with, the exit stopped short. */
function exitOf(read: () => unknown): { code: number | undefined; written: string } {
  let written = '';
  const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    written += String(chunk);
    return true;
  });
  const exit = jest.spyOn(process, 'exit').mockImplementation((code) => {
    throw new Error(`exit ${String(code)}`);
  });
  try {
    configOrExit(read);
    return { code: undefined, written };
  } catch (error) {
    const code = /^exit (\d+)$/.exec(error instanceof Error ? error.message : '')?.[1];
    if (code === undefined) throw error;
    return { code: Number(code), written };
  } finally {
    write.mockRestore();
    exit.mockRestore();
  }
}

describe('the master key (DATA_KEY or DATA_KEY_FILE)', () => {
  let dir: string;
  const fileWith = (name: string, contents: string) => {
    const path = join(dir, name);
    writeFileSync(path, contents, { mode: 0o600 });
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'master-key-config-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('is required by the configuration of gateways and aggregators', () => {
    expect(() => readSharedConfig(mongo)).toThrow(new ConfigError(MASTER_KEY_REQUIRED));
    expect(() => readSharedConfig({ ...mongo, DATA_KEY: '', DATA_KEY_FILE: '' })).toThrow(
      new ConfigError(MASTER_KEY_REQUIRED),
    );
    expect(MASTER_KEY_REQUIRED).not.toMatch(/\n/);
  });

  it('stops a gateway or an aggregator started without one: exit 1 and one line saying what it needs', () => {
    const { code, written } = exitOf(() => readSharedConfig(mongo));
    expect(code).toBe(1);
    expect(written.endsWith('\n')).toBe(true);
    expect(written.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(written)).toEqual({ level: 'error', message: MASTER_KEY_REQUIRED });
  });

  it('stops on a malformed key with one line naming the variable and never the key', () => {
    const bad = `${newMasterKeyText().slice(0, 20)}secret==`;
    const { code, written } = exitOf(() => readSharedConfig({ ...mongo, DATA_KEY: bad }));
    expect(code).toBe(1);
    expect(written.trimEnd().split('\n')).toHaveLength(1);
    expect(JSON.parse(written)).toEqual({
      level: 'error',
      message: 'DATA_KEY: key 1 is not 32 bytes in base64 (make one with: openssl rand -base64 32)',
    });
    expect(written).not.toContain(bad);
  });

  it('comes from DATA_KEY, the current key first and older ones after it', () => {
    const [current, old] = [newMasterKeyText(), newMasterKeyText()];
    const ring = readSharedConfig({ ...mongo, DATA_KEY: `${current},${old}` }).masterKeys;
    expect(ring).toEqual(parseMasterKeys(`${current},${old}`, 'DATA_KEY'));
    expect(ring.current.key.toString('base64')).toBe(current);
    expect(ring.byId.size).toBe(2);
  });

  it('comes from the file DATA_KEY_FILE names (a Docker secret), one key a line', () => {
    const [current, old] = [newMasterKeyText(), newMasterKeyText()];
    const file = fileWith('data-key', `${current}\n${old}\n`);
    const ring = readSharedConfig({ ...mongo, DATA_KEY_FILE: file }).masterKeys;
    expect(ring.current.key.toString('base64')).toBe(current);
    expect([...ring.byId.values()].map(({ key }) => key.toString('base64'))).toEqual([
      current,
      old,
    ]);
  });

  it('names the file, and not what it holds, when the file is wrong', () => {
    const secret = 'hunter2hunter2';
    const file = fileWith('data-key', `${secret}\n`);
    expect(() => readSharedConfig({ ...mongo, DATA_KEY_FILE: file })).toThrow(
      new ConfigError(
        `DATA_KEY_FILE (${file}): key 1 is not 32 bytes in base64 (make one with: openssl rand -base64 32)`,
      ),
    );
    expect(() => readSharedConfig({ ...mongo, DATA_KEY_FILE: file })).not.toThrow(secret);
    const empty = fileWith('empty', '\n');
    expect(() => readSharedConfig({ ...mongo, DATA_KEY_FILE: empty })).toThrow(
      new ConfigError(`${MASTER_KEY_REQUIRED} (DATA_KEY_FILE names an empty file: ${empty})`),
    );
    expect(() => readSharedConfig({ ...mongo, DATA_KEY_FILE: join(dir, 'missing') })).toThrow(
      /^DATA_KEY_FILE cannot be read: .*ENOENT/,
    );
  });

  it('takes DATA_KEY or DATA_KEY_FILE, not both', () => {
    const file = fileWith('data-key', newMasterKeyText());
    expect(() =>
      readSharedConfig({ ...mongo, DATA_KEY: newMasterKeyText(), DATA_KEY_FILE: file }),
    ).toThrow(new ConfigError('DATA_KEY and DATA_KEY_FILE are both set: set only one of them'));
  });

  it('may be left out by a caller that makes its own or needs none (the launcher)', () => {
    expect(
      readSharedConfig({}, { mongoUrl: 'optional', masterKeys: 'optional' }).masterKeys,
    ).toBeUndefined();
    expect(readMasterKeys({}, 'optional')).toBeUndefined();
    const key = newMasterKeyText();
    expect(readMasterKeys({ DATA_KEY: key }, 'optional')?.current.key.toString('base64')).toBe(key);
    // Given, it must still be a key: the launcher hands it to every process it starts.
    expect(() => readMasterKeys({ DATA_KEY: 'abc' }, 'optional')).toThrow(/^DATA_KEY: key 1 /);
  });
});
