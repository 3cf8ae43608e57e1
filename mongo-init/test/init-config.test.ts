import { ConfigError } from '@user-service/common';
import { readInitConfig } from '../src/init-config';

describe('mongo-init configuration', () => {
  it('reads the member list, with defaults for the rest', () => {
    expect(readInitConfig({ MONGO_MEMBERS: 'mongo1:27017, mongo2:27017,mongo3:27017' })).toEqual({
      members: ['mongo1:27017', 'mongo2:27017', 'mongo3:27017'],
      replicaSet: 'rs0',
      database: 'users',
      timeoutMs: 120_000,
    });
  });

  it.each([
    [{}, 'MONGO_MEMBERS is required but not set'],
    [{ MONGO_MEMBERS: 'mongo1' }, 'MONGO_MEMBERS must be a comma-separated list of host:port, got "mongo1"'],
    [{ MONGO_MEMBERS: 'a:1,,b:2' }, 'MONGO_MEMBERS must be a comma-separated list of host:port, got "a:1,,b:2"'],
  ])('stops on %j naming the variable', (env, message) => {
    expect(() => readInitConfig(env)).toThrow(new ConfigError(message));
  });
});
