import { waitUntil } from '@user-service/common/lifecycle';
import type { AggregatorNode } from '../src/aggregator-node';

/** The value of the first /metrics line matching `line`. */
export async function metric(node: AggregatorNode, line: RegExp): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const found = text.split('\n').find((candidate) => line.test(candidate));
  return Number(found?.split(' ').at(-1));
}

/** Polls `condition` until it holds; after `timeoutMs` fails the test naming `what` it waited for. */
export function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  return waitUntil(condition, { describe: what, timeoutMs, intervalMs: 10 });
}
