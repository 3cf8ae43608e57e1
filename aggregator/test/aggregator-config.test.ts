import { hostname } from 'node:os';
import { newMasterKeyText } from '@user-service/common/personal-data';
import { readAggregatorConfig } from '../src/aggregator-config';

// Any valid master key: these tests read the rest of the config.
const base = { MONGO_URL: 'mongodb://db/?replicaSet=rs0', DATA_KEY: newMasterKeyText() };

describe('aggregator configuration', () => {
  it('names the aggregator for its leases: AGGREGATOR_NAME, else by AGGREGATOR_INDEX, else the host', () => {
    expect(readAggregatorConfig({ ...base, AGGREGATOR_NAME: 'blue' }).AGGREGATOR_NAME).toBe('blue');
    expect(readAggregatorConfig({ ...base, AGGREGATOR_INDEX: '7' }).AGGREGATOR_NAME).toBe(
      'aggregator-7',
    );
    expect(readAggregatorConfig(base).AGGREGATOR_NAME).toBe(hostname());
  });

  it('takes an index past AGG_N: AGG_N is how many are meant to run, not an assignment', () => {
    expect(readAggregatorConfig({ ...base, AGGREGATOR_INDEX: '3' }).AGGREGATOR_NAME).toBe(
      'aggregator-3',
    );
  });

  it('leases partitions for 5 s unless LEASE_MS says otherwise, and no less than 300 ms', () => {
    expect(readAggregatorConfig(base).LEASE_MS).toBe(5000);
    expect(readAggregatorConfig({ ...base, LEASE_MS: '1500' }).LEASE_MS).toBe(1500);
    expect(() => readAggregatorConfig({ ...base, LEASE_MS: '100' })).toThrow(/LEASE_MS/);
  });

  it('takes an ADVERTISED_URL of a host and port only', () => {
    expect(
      readAggregatorConfig({ ...base, ADVERTISED_URL: 'http://10.0.0.7:9100' }).ADVERTISED_URL,
    ).toBe('http://10.0.0.7:9100');
    expect(() =>
      readAggregatorConfig({ ...base, ADVERTISED_URL: 'http://10.0.0.7:9100/internal' }),
    ).toThrow(/ADVERTISED_URL must be an http\(s\) URL of a host and port/);
  });
});
