import type { Store } from '@user-service/common/store';
import { TEST_INTERNAL_TOKEN, TEST_MASTER_KEYS } from '@user-service/test-support';
import { PassThrough } from 'node:stream';
import {
  type AggregatorNode,
  type AggregatorNodeOptions,
  startAggregatorNode,
} from '../src/aggregator-node';

/** The only aggregator, taking every partition, on a free port, with quiet logs unless told otherwise. */
export function startTestAggregator(
  store: Store,
  options: Partial<AggregatorNodeOptions> = {},
): Promise<AggregatorNode> {
  return startAggregatorNode({
    name: 'aggregator-0',
    snapshotEvery: 100,
    store,
    masterKeys: TEST_MASTER_KEYS,
    port: 0,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
    internalToken: TEST_INTERNAL_TOKEN,
    ...options,
  });
}

/** A call to a test aggregator's URL, carrying the internal token as a gateway's calls do. */
export function fetchInternal(url: string): Promise<Response> {
  return fetch(url, { headers: { authorization: `Bearer ${TEST_INTERNAL_TOKEN}` } });
}
