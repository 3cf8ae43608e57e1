import { ConfigError, readSharedConfig, requireInternalToken } from '@user-service/common/config';
import { newMasterKeyText, parseMasterKeys } from '@user-service/common/personal-data';

const DATA_KEY = newMasterKeyText();
const mongo = { MONGO_URL: 'mongodb://localhost:27017/?replicaSet=rs0', DATA_KEY };

describe('shared configuration', () => {
  it('has defaults for everything but the MongoDB address', () => {
    expect(readSharedConfig(mongo)).toEqual({
      PARTITIONS: 12,
      AGG_N: 3,
      STORE: 'mongo',
      MONGO_URL: mongo.MONGO_URL,
      MONGO_DB: 'users',
      STORE_TIMEOUT_MS: 2000,
      MONGO_WRITE_TIMEOUT_MS: 2000,
      MONGO_SELECTION_TIMEOUT_MS: 2000,
      LOG_LEVEL: 'info',
      HOST: '127.0.0.1',
      masterKeys: parseMasterKeys(DATA_KEY, 'DATA_KEY'),
    });
  });

  it('listens on this machine only unless HOST names another address to listen on', () => {
    expect(readSharedConfig(mongo).HOST).toBe('127.0.0.1');
    for (const host of ['0.0.0.0', '::', '::1', '10.1.2.3'])
      expect(readSharedConfig({ ...mongo, HOST: host }).HOST).toBe(host);
    for (const host of ['localhost', 'example.com', '0.0.0.0:8080', '256.1.1.1'])
      expect(() => readSharedConfig({ ...mongo, HOST: host })).toThrow(
        `HOST must be an IP address to listen on (127.0.0.1 for this machine only, 0.0.0.0 or :: for every interface), got "${host}"`,
      );
  });

  it('takes an internal token of 32 characters or more, and says only the length of a shorter one', () => {
    const token = 't'.repeat(32);
    expect(requireInternalToken(readSharedConfig({ ...mongo, INTERNAL_TOKEN: token }))).toBe(token);
    const short = () => readSharedConfig({ ...mongo, INTERNAL_TOKEN: 'secret-but-short' });
    expect(short).toThrow(ConfigError);
    expect(short).toThrow(
      'INTERNAL_TOKEN must be at least 32 characters, got 16: make one with `openssl rand -base64 32`',
    );
  });

  it('leaves the internal token to the caller to require: a gateway or aggregator of its own cannot start without one', () => {
    const config = readSharedConfig(mongo);
    expect(config.INTERNAL_TOKEN).toBeUndefined();
    expect(() => requireInternalToken(config)).toThrow(
      /^INTERNAL_TOKEN or INTERNAL_TOKEN_FILE is required/,
    );
  });

  it('treats an empty variable as unset', () => {
    expect(readSharedConfig({ ...mongo, AGG_N: '' }).AGG_N).toBe(3);
  });

  it.each([
    [{ AGG_N: 'abc' }, 'AGG_N must be an integer from 1 to 4096, got "abc"'],
    [{ AGG_N: '0' }, 'AGG_N must be an integer from 1 to 4096, got "0"'],
    [{ PARTITIONS: '1.5' }, 'PARTITIONS must be an integer from 1 to 4096, got "1.5"'],
    [{ STORE: 'redis' }, 'STORE must be one of mongo, memory, got "redis"'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of error, warn, info, debug, got "loud"'],
    [
      { MONGO_WRITE_TIMEOUT_MS: '100' },
      'MONGO_WRITE_TIMEOUT_MS must be an integer from 1000 to 600000, got "100"',
    ],
    [
      { MONGO_SELECTION_TIMEOUT_MS: '999' },
      'MONGO_SELECTION_TIMEOUT_MS must be an integer from 1000 to 600000, got "999"',
    ],
    [
      { STORE_TIMEOUT_MS: '300' },
      'STORE_TIMEOUT_MS must be at least 1000 with STORE=mongo, got 300: a majority write or finding a new primary routinely takes longer',
    ],
    [
      { AGG_N: '13' },
      'AGG_N (13) must not exceed PARTITIONS (12): an aggregator would own no partition',
    ],
  ])('stops on %j with one message naming the variable', (bad, message) => {
    expect(() => readSharedConfig({ ...mongo, ...bad })).toThrow(new ConfigError(message));
  });

  it('logs in to MongoDB as MONGO_USER with MONGO_PASSWORD, or as MONGO_URL says when neither is set', () => {
    expect(
      readSharedConfig({ ...mongo, MONGO_USER: 'users-service', MONGO_PASSWORD: 's3cret' })
        .mongoCredentials,
    ).toEqual({
      username: 'users-service',
      password: 's3cret',
    });
    expect(readSharedConfig(mongo).mongoCredentials).toBeUndefined();
    expect(
      readSharedConfig({ ...mongo, MONGO_USER: '', MONGO_PASSWORD: '' }).mongoCredentials,
    ).toBeUndefined();
  });

  it.each([
    [
      { MONGO_USER: 'users-service' },
      'MONGO_USER is set but MONGO_PASSWORD is not: set both MONGO_USER and MONGO_PASSWORD, or neither',
    ],
    [
      { MONGO_PASSWORD: 's3cret' },
      'MONGO_PASSWORD is set but MONGO_USER is not: set both MONGO_USER and MONGO_PASSWORD, or neither',
    ],
  ])('refuses %j: one of MONGO_USER and MONGO_PASSWORD without the other', (half, message) => {
    expect(() => readSharedConfig({ ...mongo, ...half })).toThrow(new ConfigError(message));
    expect(() => readSharedConfig({ ...mongo, ...half })).not.toThrow(/s3cret/);
  });

  it('bounds the MongoDB majority wait and server selection separately, by STORE_TIMEOUT_MS unless set', () => {
    expect(
      readSharedConfig({
        ...mongo,
        STORE_TIMEOUT_MS: '1500',
        MONGO_WRITE_TIMEOUT_MS: '5000',
        MONGO_SELECTION_TIMEOUT_MS: '10000',
      }),
    ).toMatchObject({
      STORE_TIMEOUT_MS: 1500,
      MONGO_WRITE_TIMEOUT_MS: 5000,
      MONGO_SELECTION_TIMEOUT_MS: 10000,
    });
    expect(readSharedConfig({ ...mongo, STORE_TIMEOUT_MS: '1500' })).toMatchObject({
      MONGO_WRITE_TIMEOUT_MS: 1500,
      MONGO_SELECTION_TIMEOUT_MS: 1500,
    });
  });

  it('lets the in-memory store answer 503 sooner than MongoDB could', () => {
    expect(readSharedConfig({ STORE: 'memory', STORE_TIMEOUT_MS: '300', DATA_KEY })).toMatchObject({
      STORE: 'memory',
      STORE_TIMEOUT_MS: 300,
    });
  });

  it('needs MONGO_URL only when the store is MongoDB', () => {
    expect(() => readSharedConfig({ DATA_KEY })).toThrow(/MONGO_URL is required when STORE=mongo/);
    expect(readSharedConfig({ STORE: 'memory', DATA_KEY }).STORE).toBe('memory');
  });

  it('lets a caller that starts MongoDB itself (the launcher) go without MONGO_URL', () => {
    expect(readSharedConfig({ DATA_KEY }, { mongoUrl: 'optional' })).toMatchObject({
      STORE: 'mongo',
      MONGO_URL: undefined,
    });
    expect(
      readSharedConfig({ MONGO_URL: '', DATA_KEY }, { mongoUrl: 'optional' }).MONGO_URL,
    ).toBeUndefined();
  });
});
