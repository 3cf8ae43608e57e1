import {
  ConfigError,
  integer,
  optionalText,
  readConfig,
  readSharedConfig,
  text,
} from '@user-service/common/config';
import { newMasterKeyText } from '@user-service/common/personal-data';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('a variable read from the file X_FILE names (Docker secrets)', () => {
  let dir: string;
  const fileWith = (name: string, contents: string) => {
    const path = join(dir, name);
    writeFileSync(path, contents);
    return path;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'config-files-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes the value from the file, without its trailing newlines but otherwise as it is', () => {
    const spec = { SECRET: text(), PORT: integer({ min: 1, max: 65535 }), UNUSED: optionalText() };
    const env = {
      SECRET_FILE: fileWith('secret', '  p@ss word\twith spaces \n\r\n\n'),
      PORT_FILE: fileWith('port', '8080\n'),
    };
    expect(readConfig(env, spec)).toEqual({
      SECRET: '  p@ss word\twith spaces ',
      PORT: 8080,
      UNUSED: undefined,
    });
  });

  it('keeps newlines inside the value', () => {
    expect(readConfig({ KEY_FILE: fileWith('key', 'line 1\nline 2\n') }, { KEY: text() }).KEY).toBe(
      'line 1\nline 2',
    );
  });

  it('ignores an empty X_FILE, as it ignores an empty X', () => {
    expect(readConfig({ SECRET: 'from env', SECRET_FILE: '' }, { SECRET: text() }).SECRET).toBe(
      'from env',
    );
  });

  it('refuses X and X_FILE both set, naming both', () => {
    const env = { SECRET: 'value', SECRET_FILE: fileWith('secret', 'other') };
    expect(() => readConfig(env, { SECRET: text() })).toThrow(
      new ConfigError('SECRET and SECRET_FILE are both set: set only one of them'),
    );
  });

  it('accepts an empty X next to X_FILE, an empty variable counting as unset', () => {
    expect(
      readConfig({ SECRET: '', SECRET_FILE: fileWith('secret', 'value') }, { SECRET: text() })
        .SECRET,
    ).toBe('value');
  });

  it('stops on a file it cannot read, naming X_FILE and why', () => {
    const missing = join(dir, 'missing');
    expect(() => readConfig({ SECRET_FILE: missing }, { SECRET: text() })).toThrow(ConfigError);
    expect(() => readConfig({ SECRET_FILE: missing }, { SECRET: text() })).toThrow(
      `SECRET_FILE cannot be read: ENOENT: no such file or directory, open '${missing}'`,
    );
    expect(() => readConfig({ SECRET_FILE: dir }, { SECRET: text() })).toThrow(
      /^SECRET_FILE cannot be read: EISDIR/,
    );
  });

  // Root reads any file, so there the permission cannot be taken away.
  const asRoot = process.getuid?.() === 0;
  (asRoot ? it.skip : it)('stops on a file it may not read, without showing its contents', () => {
    const path = fileWith('secret', 'hunter2');
    chmodSync(path, 0o000);
    const read = () => readConfig({ SECRET_FILE: path }, { SECRET: text() });
    expect(read).toThrow(/^SECRET_FILE cannot be read: EACCES/);
    expect(read).not.toThrow(/hunter2/);
  });

  it('treats an empty file as unset: the default applies, and a required variable says the file is empty', () => {
    const empty = fileWith('empty', '\n');
    expect(readConfig({ PORT_FILE: empty }, { PORT: integer({ default: 8080 }) }).PORT).toBe(8080);
    expect(readConfig({ TOKEN_FILE: empty }, { TOKEN: optionalText() }).TOKEN).toBeUndefined();
    expect(() => readConfig({ MEMBERS_FILE: empty }, { MEMBERS: text() })).toThrow(
      new ConfigError(
        `MEMBERS is required but not set (MEMBERS_FILE names an empty file: ${empty})`,
      ),
    );
  });

  it('never shows what a file holds in a message about a bad value', () => {
    const env = { PORT_FILE: fileWith('port', 'hunter2\n') };
    expect(() => readConfig(env, { PORT: integer({ min: 1, max: 65535 }) })).toThrow(
      new ConfigError(
        'PORT must be an integer from 1 to 65535, got the contents of PORT_FILE (not shown)',
      ),
    );
    expect(() =>
      readSharedConfig({
        MONGO_URL: 'mongodb://db/',
        DATA_KEY: newMasterKeyText(),
        STORE_FILE: fileWith('store', 'hunter2'),
      }),
    ).toThrow(
      new ConfigError(
        'STORE must be one of mongo, memory, got the contents of STORE_FILE (not shown)',
      ),
    );
  });

  it('still shows a bad value set directly, which is no secret', () => {
    expect(() => readConfig({ PORT: 'abc' }, { PORT: integer({}) })).toThrow(/got "abc"/);
  });

  it('gives the shared configuration its MongoDB password and address from files', () => {
    const config = readSharedConfig({
      MONGO_URL_FILE: fileWith('url', 'mongodb://mongo1,mongo2,mongo3/?replicaSet=rs0\n'),
      MONGO_USER: 'users-service',
      MONGO_PASSWORD_FILE: fileWith('password', 's3cret\n'),
      DATA_KEY: newMasterKeyText(),
    });
    expect(config.MONGO_URL).toBe('mongodb://mongo1,mongo2,mongo3/?replicaSet=rs0');
    expect(config.mongoCredentials).toEqual({ username: 'users-service', password: 's3cret' });
  });
});
