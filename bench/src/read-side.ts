import { stopChild, untilReady } from '@user-service/launcher';
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { scrape, sumOf } from './counters';
import { runLightLoad } from './light-load';
import { type LoadResult, runLoad } from './load';
import type { BenchOptions } from './options';
import type { ReadSideSeeded } from './read-side-server';
import { seededId } from './seed';

/** Light load: a fixed rate of this share of what the same connections sustain at saturation. */
export const LIGHT_SHARE = 0.25;

export type ReadSideScenarioName =
  'list, page 1' | 'list, random after' | 'count' | 'history' | 'event statistics';

interface ReadSideScenario {
  readonly name: ReadSideScenarioName;
  /** The p99 the issue asks for at light load, in ms. */
  readonly targetP99Ms: number;
  /** The request, e.g. for the report: a random `after` shows as `bench-N`. */
  readonly shape: (seeded: ReadSideSeeded) => string;
  readonly path: (seeded: ReadSideSeeded) => () => string;
  /** Checks one answer before the load: the bench must measure right answers. */
  readonly check: (seeded: ReadSideSeeded, answer: CheckedAnswer) => string | undefined;
}

interface CheckedAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Headers;
}

const listPath = (after?: string) =>
  `/api/user?limit=100${after === undefined ? '' : `&after=${after}`}`;
const statsPath = (seeded: ReadSideSeeded) =>
  `/api/stats/events?from=${seeded.firstDay}&to=${seeded.lastDay}`;
const historyPath = (seeded: ReadSideSeeded) =>
  `/api/user/${seeded.historyUser}/events?limit=${seeded.historyEvents}`;

const checkPage = (answer: CheckedAnswer) => {
  const users = answer.body as { id: string }[];
  if (!Array.isArray(users) || users.length !== 100) return `a page of ${String(users?.length)}`;
  if (!users.every((user, i) => i === 0 || (users[i - 1] as { id: string }).id < user.id))
    return 'a page out of id order';
  if (!answer.headers.get('link')?.includes('rel="next"')) return 'no Link to the next page';
  return answer.headers.get('x-consistency') === 'exact' ? undefined : 'not exact';
};

export const READ_SIDE_SCENARIOS: readonly ReadSideScenario[] = [
  {
    name: 'list, page 1',
    targetP99Ms: 50,
    shape: () => listPath(),
    path: () => () => listPath(),
    check: (_, answer) => checkPage(answer),
  },
  {
    name: 'list, random after',
    targetP99Ms: 50,
    shape: () => listPath('bench-N'),
    path: (seeded) => {
      // A random position in id order (text order: bench-10 comes before bench-2), never among
      // the last 100, so that every page is full.
      const ids = Array.from({ length: seeded.users }, (_, n) => seededId(n)).sort();
      const positions = Math.max(1, ids.length - 100);
      return () => listPath(ids[Math.floor(Math.random() * positions)]);
    },
    check: (_, answer) => checkPage(answer),
  },
  {
    name: 'count',
    targetP99Ms: 50,
    shape: () => '/api/user/count',
    path: () => () => '/api/user/count',
    check: (seeded, answer) => {
      const { count } = answer.body as { count?: number };
      if (count !== seeded.users) return `count ${String(count)}, not ${seeded.users}`;
      return answer.headers.get('x-consistency') === 'exact' ? undefined : 'not exact';
    },
  },
  {
    name: 'history',
    targetP99Ms: 20,
    shape: historyPath,
    path: (seeded) => () => historyPath(seeded),
    check: (seeded, answer) => {
      const events = answer.body as { version: number }[];
      if (!Array.isArray(events) || events.length !== seeded.historyEvents)
        return `${String(events?.length)} events, not ${seeded.historyEvents}`;
      return events.every((event, i) => event.version === i + 1) ? undefined : 'versions amiss';
    },
  },
  {
    name: 'event statistics',
    targetP99Ms: 500,
    shape: statsPath,
    path: (seeded) => () => statsPath(seeded),
    check: (seeded, answer) => {
      const counts = answer.body as { count: number }[];
      const total = Array.isArray(counts) ? counts.reduce((sum, row) => sum + row.count, 0) : -1;
      return total === seeded.events ? undefined : `${total} events counted, not ${seeded.events}`;
    },
  },
];

export interface ReadSideRun {
  readonly scenario: ReadSideScenarioName;
  readonly request: string;
  readonly targetP99Ms: number;
  readonly answerBytes: number;
  readonly saturation: LoadResult;
  readonly light: LoadResult & { readonly rate: number };
  /** From the gateway's counters over both runs, per request answered. */
  readonly aggregatorCallsPerRequest: number;
  readonly storeOperationsPerRequest: number;
  /** Lists and counts answered from the snapshot because an aggregator could not answer. */
  readonly snapshotFallbacks: number;
}

export interface ReadSideReport {
  readonly seeded: ReadSideSeeded;
  readonly connections: number;
  readonly runs: readonly ReadSideRun[];
}

/**
 * The read side: seeds its own system (see read-side-server.ts), checks one answer of each
 * route, then loads each route on its own, first at saturation over a few connections
 * (autocannon, closed loop), then at light load, where the targets apply: LIGHT_SHARE of that
 * rate, arriving independently over the same connections (see light-load.ts).
 */
export async function readSideCheck(
  options: BenchOptions,
  ports: { gateway: number; aggregators: number },
): Promise<ReadSideReport> {
  const { child, seeded } = await startReadSideServer(options, ports);
  const url = `http://127.0.0.1:${ports.gateway}`;
  try {
    await untilReady(
      [url, ...[0, 1, 2].map((index) => `http://127.0.0.1:${ports.aggregators + index}`)],
      { child, timeoutMs: 120_000 },
    );
    const runs: ReadSideRun[] = [];
    for (const scenario of READ_SIDE_SCENARIOS) {
      runs.push(await measure(url, scenario, seeded, options));
    }
    return { seeded, connections: options.readConnections, runs };
  } finally {
    await stopChild(child);
  }
}

async function measure(
  url: string,
  scenario: ReadSideScenario,
  seeded: ReadSideSeeded,
  options: BenchOptions,
): Promise<ReadSideRun> {
  const next = scenario.path(seeded);
  const response = await fetch(`${url}${next()}`);
  const text = await response.text();
  const problem = scenario.check(seeded, {
    status: response.status,
    body: response.ok ? JSON.parse(text) : text,
    headers: response.headers,
  });
  if (!response.ok || problem !== undefined)
    throw new Error(`${scenario.name}: ${response.status} ${problem ?? text.slice(0, 200)}`);

  const saturate = (seconds: number) =>
    runLoad({
      url,
      scenario: scenario.name,
      next: () => ({ method: 'GET', path: next() }),
      seconds,
      connections: options.readConnections,
    });
  await saturate(options.warmup);
  const before = await scrape(url);
  const saturation = await saturate(options.duration);
  const rate = Math.max(1, Math.round(saturation.requestsPerSecond * LIGHT_SHARE));
  const light = {
    ...(await runLightLoad({
      url,
      next,
      rate,
      seconds: options.duration,
      connections: options.readConnections,
    })),
    rate,
  };
  const after = await scrape(url);
  const delta = (metric: string) => sumOf(after, metric) - sumOf(before, metric);
  const requests = Math.max(1, saturation.requests + light.requests);
  return {
    scenario: scenario.name,
    request: scenario.shape(seeded),
    targetP99Ms: scenario.targetP99Ms,
    answerBytes: Buffer.byteLength(text),
    saturation,
    light,
    aggregatorCallsPerRequest: delta('gateway_aggregator_forwards_total') / requests,
    storeOperationsPerRequest: delta('gateway_store_operations_total') / requests,
    snapshotFallbacks: delta('gateway_fallback_reads_total'),
  };
}

function startReadSideServer(
  options: BenchOptions,
  ports: { gateway: number; aggregators: number },
): Promise<{ child: ChildProcess; seeded: ReadSideSeeded }> {
  const child = spawn(
    process.execPath,
    [
      resolve(__dirname, 'read-side-server.js'),
      String(options.readUsers),
      String(options.historyEvents),
      String(options.eventDays),
      String(ports.gateway),
      String(ports.aggregators),
    ],
    { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] },
  );
  return new Promise((resolveStarted, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`the read-side server exited with ${code ?? signal} before it was seeded`));
    child.once('exit', onExit);
    child.once('message', (message: ReadSideSeeded) => {
      child.off('exit', onExit);
      resolveStarted({ child, seeded: message });
    });
  });
}
