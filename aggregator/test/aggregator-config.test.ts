import { newMasterKeyText } from '@user-service/common/personal-data';
import { readAggregatorConfig } from '../src/aggregator-config';

// Any valid master key: these tests read the rest of the config.
const base = { MONGO_URL: 'mongodb://db/?replicaSet=rs0', DATA_KEY: newMasterKeyText() };

describe('aggregator configuration', () => {
  it('needs an aggregator index below AGG_N', () => {
    expect(readAggregatorConfig({ ...base, AGGREGATOR_INDEX: '2' }).AGGREGATOR_INDEX).toBe(2);
    expect(() => readAggregatorConfig({ ...base, AGGREGATOR_INDEX: '3' })).toThrow(
      /AGGREGATOR_INDEX must be below AGG_N/,
    );
    expect(() => readAggregatorConfig(base)).toThrow(/AGGREGATOR_INDEX is required/);
  });
});
