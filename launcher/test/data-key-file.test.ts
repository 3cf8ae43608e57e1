import { ConfigError, readSharedConfig } from '@user-service/common/config';
import { createLogger } from '@user-service/common/observability';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { dataKeyFileBeside, ensureDataKeyFile } from '../src/data-key-file';
import { holdsData, masterKeyEnvironment, requireKeyOfData } from '../src/mongo-mode';

describe("npm start's master key file (./.data/data-key)", () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'data-key-'));
  });

  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('lives beside the embedded MongoDB data', () => {
    expect(dataKeyFileBeside('/repo/.data/mongo')).toBe('/repo/.data/data-key');
    expect(dataKeyFileBeside('/repo/.data/chaos-mongo')).toBe('/repo/.data/data-key');
  });

  it('is made on the first start, readable by its owner alone, with one key and a newline', () => {
    const path = join(dir, '.data', 'data-key');
    expect(ensureDataKeyFile(path)).toEqual({ path, created: true });
    const text = readFileSync(path, 'utf8');
    expect(text).toMatch(/^[A-Za-z0-9+/]{43}=\n$/);
    expect(Buffer.from(text.trim(), 'base64')).toHaveLength(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    // Nothing staged is left beside it.
    expect(readdirSync(join(dir, '.data'))).toEqual(['data-key']);
  });

  it('is reused as it is on every later start', () => {
    const path = join(dir, 'data-key');
    ensureDataKeyFile(path);
    const first = readFileSync(path, 'utf8');
    expect(ensureDataKeyFile(path)).toEqual({ path, created: false });
    expect(ensureDataKeyFile(path)).toEqual({ path, created: false });
    expect(readFileSync(path, 'utf8')).toBe(first);
  });

  it('keeps a key someone put there, rotated keys included', () => {
    const path = join(dir, 'data-key');
    const keys = `${Buffer.alloc(32, 1).toString('base64')},${Buffer.alloc(32, 2).toString('base64')}\n`;
    writeFileSync(path, keys, { mode: 0o600 });
    expect(ensureDataKeyFile(path).created).toBe(false);
    expect(readFileSync(path, 'utf8')).toBe(keys);
  });

  it('refuses a file that holds no key, naming the file and not what it holds', () => {
    const path = join(dir, 'data-key');
    writeFileSync(path, 'hunter2\n');
    expect(() => ensureDataKeyFile(path)).toThrow(ConfigError);
    expect(() => ensureDataKeyFile(path)).toThrow(
      new RegExp(`^${path}: key 1 is not 32 bytes in base64 .*restore it from a backup`),
    );
    expect(() => ensureDataKeyFile(path)).not.toThrow(/hunter2/);
    expect(readFileSync(path, 'utf8')).toBe('hunter2\n');
  });

  it('gives the services the file, never the key, and logs only where it is', () => {
    const lines: string[] = [];
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    const log = createLogger({ service: 'launcher', stream });
    const dataDir = join(dir, '.data', 'mongo');
    const path = dataKeyFileBeside(dataDir);

    const env = masterKeyEnvironment({ dataKeyFile: path, dataDir }, false, log);
    expect(env).toEqual({ DATA_KEY_FILE: path });
    const key = readFileSync(path, 'utf8').trim();
    expect(masterKeyEnvironment({ dataKeyFile: path, dataDir }, false, log)).toEqual(env);
    // What a gateway or aggregator started with it reads.
    expect(
      readSharedConfig({ MONGO_URL: 'mongodb://db/', ...env }).masterKeys.current.key.toString(
        'base64',
      ),
    ).toBe(key);

    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ level: 'info', file: path });
    expect(lines.join('')).not.toContain(key);
  });

  it('refuses to make a key for a data directory that already holds data, and makes nothing', () => {
    const log = createLogger({ service: 'launcher', stream: new PassThrough().resume() });
    const dataDir = join(dir, '.data', 'mongo');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'WiredTiger'), '');
    const dataKeyFile = dataKeyFileBeside(dataDir);

    expect(() => requireKeyOfData({ dataKeyFile, dataDir }, holdsData(dataDir))).toThrow(
      `The data directory ${dataDir} holds data, but its master key file ${dataKeyFile} is missing`,
    );
    expect(() => masterKeyEnvironment({ dataKeyFile, dataDir }, holdsData(dataDir), log)).toThrow(
      /restore it from the backup kept with the data/,
    );
    expect(existsSync(dataKeyFile)).toBe(false);
    // With its key there, it starts.
    ensureDataKeyFile(dataKeyFile);
    expect(masterKeyEnvironment({ dataKeyFile, dataDir }, true, log)).toEqual({
      DATA_KEY_FILE: dataKeyFile,
    });
  });

  it('is left alone when the environment gives the services a master key', () => {
    const log = createLogger({ service: 'launcher', stream: new PassThrough().resume() });
    expect(
      masterKeyEnvironment({ dataKeyFile: undefined, dataDir: join(dir, 'mongo') }, false, log),
    ).toEqual({});
    expect(readdirSync(dir)).toEqual([]);
  });
});
