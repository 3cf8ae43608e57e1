import { newMasterKeyText } from '@user-service/common/personal-data';
import { readGatewayConfig } from '../src/gateway-config';

// Any valid master key: these tests read the rest of the config.
const base = { MONGO_URL: 'mongodb://db/?replicaSet=rs0', DATA_KEY: newMasterKeyText() };

describe('gateway configuration', () => {
  it('defaults the gateway to port 8080', () => {
    expect(readGatewayConfig(base).PORT).toBe(8080);
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
