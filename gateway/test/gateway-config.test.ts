import { ConfigError } from '@user-service/common/config';
import { newMasterKeyText } from '@user-service/common/personal-data';
import { readGatewayConfig } from '../src/gateway-config';

// Any valid master key: these tests read the rest of the config.
const base = { MONGO_URL: 'mongodb://db/?replicaSet=rs0', DATA_KEY: newMasterKeyText() };

describe('gateway configuration', () => {
  it('defaults the gateway to port 8080 and one local aggregator URL per AGG_N', () => {
    const config = readGatewayConfig(base);
    expect(config.PORT).toBe(8080);
    expect(config.aggregatorUrls).toEqual([
      'http://127.0.0.1:9100',
      'http://127.0.0.1:9101',
      'http://127.0.0.1:9102',
    ]);
  });

  it('needs exactly AGG_N aggregator URLs', () => {
    expect(() => readGatewayConfig({ ...base, AGGREGATOR_URLS: 'http://a:1,http://b:1' })).toThrow(
      ConfigError,
    );
    expect(() => readGatewayConfig({ ...base, AGG_N: '1', AGGREGATOR_URLS: 'not a url' })).toThrow(
      /AGGREGATOR_URLS/,
    );
  });

  it('remembers idempotent outcomes 24 hours unless IDEMPOTENCY_TTL_HOURS says otherwise', () => {
    expect(readGatewayConfig(base).IDEMPOTENCY_TTL_HOURS).toBe(24);
    expect(readGatewayConfig({ ...base, IDEMPOTENCY_TTL_HOURS: '72' }).IDEMPOTENCY_TTL_HOURS).toBe(
      72,
    );
    expect(() => readGatewayConfig({ ...base, IDEMPOTENCY_TTL_HOURS: '0' })).toThrow(
      /IDEMPOTENCY_TTL_HOURS/,
    );
  });

  it('takes PUBLIC_BASE_URL as the base of problem types, without its trailing slash', () => {
    expect(readGatewayConfig(base).publicBaseUrl).toBeUndefined();
    expect(
      readGatewayConfig({ ...base, PUBLIC_BASE_URL: 'https://users.example.com/v1/' })
        .publicBaseUrl,
    ).toBe('https://users.example.com/v1');
    for (const wrong of [
      'users.example.com',
      'ftp://users.example.com',
      'https://a/?q=1',
      'https://a/#x',
    ])
      expect(() => readGatewayConfig({ ...base, PUBLIC_BASE_URL: wrong })).toThrow(
        /PUBLIC_BASE_URL/,
      );
  });
});
