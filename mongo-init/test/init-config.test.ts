import { ConfigError } from '@user-service/common/config';
import { readInitConfig } from '../src/init-config';

describe('mongo-init configuration', () => {
  it('reads the member list, with defaults for the rest', () => {
    expect(readInitConfig({ MONGO_MEMBERS: 'mongo1:27017, mongo2:27017,mongo3:27017' })).toEqual({
      members: ['mongo1:27017', 'mongo2:27017', 'mongo3:27017'],
      replicaSet: 'rs0',
      database: 'users',
      partitions: 12,
      timeoutMs: 120_000,
      rootCredentials: undefined,
      serviceUser: undefined,
    });
  });

  it('reads the root login and the service user, each a pair of variables', () => {
    const config = readInitConfig({
      MONGO_MEMBERS: 'mongo1:27017',
      MONGO_ROOT_USER: 'root',
      MONGO_ROOT_PASSWORD: 'root-secret',
      MONGO_SERVICE_USER: 'users-service',
      MONGO_SERVICE_PASSWORD: 'service-secret',
    });
    expect(config.rootCredentials).toEqual({ username: 'root', password: 'root-secret' });
    expect(config.serviceUser).toEqual({ username: 'users-service', password: 'service-secret' });
  });

  it.each([
    [{}, 'MONGO_MEMBERS is required but not set'],
    [
      { MONGO_MEMBERS: 'mongo1' },
      'MONGO_MEMBERS must be a comma-separated list of host:port, got "mongo1"',
    ],
    [
      { MONGO_MEMBERS: 'a:1,,b:2' },
      'MONGO_MEMBERS must be a comma-separated list of host:port, got "a:1,,b:2"',
    ],
    [
      { MONGO_MEMBERS: 'mongo1:27017', MONGO_ROOT_USER: 'root' },
      'MONGO_ROOT_USER is set but MONGO_ROOT_PASSWORD is not: set both MONGO_ROOT_USER and MONGO_ROOT_PASSWORD, or neither',
    ],
    [
      { MONGO_MEMBERS: 'mongo1:27017', MONGO_SERVICE_PASSWORD: 'service-secret' },
      'MONGO_SERVICE_PASSWORD is set but MONGO_SERVICE_USER is not: set both MONGO_SERVICE_USER and MONGO_SERVICE_PASSWORD, or neither',
    ],
  ])('stops on %j naming the variable', (env, message) => {
    expect(() => readInitConfig(env)).toThrow(new ConfigError(message));
  });
});
