import type { AggregatorNode } from '../src/aggregator-node';

/** The value of the first /metrics line matching `line`. */
export async function metric(node: AggregatorNode, line: RegExp): Promise<number> {
  const text = await (await fetch(`${node.url}/metrics`)).text();
  const found = text.split('\n').find((candidate) => line.test(candidate));
  return Number(found?.split(' ').at(-1));
}

/** Polls `condition` until it holds; fails the test after `timeoutMs`. */
export async function until(condition: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
