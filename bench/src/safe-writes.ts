import { randomUUID } from 'node:crypto';
import { Pool } from 'undici';
import { type Costs, costsBetween, scrape, sumCosts } from './counters';
import { type LoadResult, runLoad } from './load';
import type { BenchOptions } from './options';
import { type StoreKind, startSystem } from './processes';
import { type PlannedRequest, scenario } from './scenarios';
import { seededId, seedUsers } from './seed';

export type SafeWriteKind =
  'create' | 'create, keyed' | 'update' | 'update, keyed' | 'update, email' | 'update, replayed';

interface RequestContext {
  readonly seededUsers: number;
  /** Keyed updates carried out before the load: sending one again is a retry. */
  readonly originals: readonly PlannedRequest[];
}

interface SafeWrite {
  readonly kind: SafeWriteKind;
  /** What is sent, for the report. */
  readonly request: string;
  /** The plain write whose throughput this one's is set against, round by round; none for a plain one. */
  readonly against?: SafeWriteKind;
  /** `tag` sets one run's ids, emails and keys apart from every other run's. */
  readonly requests: (tag: string, context: RequestContext) => () => PlannedRequest;
  /** The answer one request must get, checked before any load: the bench must measure right answers. */
  readonly expected: { readonly status: number; readonly replayed: boolean };
}

/** Each request with a key of its own, as a client sends every new write. */
const withFreshKey = (next: () => PlannedRequest) => (): PlannedRequest => ({
  ...next(),
  headers: { 'idempotency-key': randomUUID() },
});

/**
 * The `update` scenario's requests, each with an email no one has held added: the same group
 * change, so that the difference to `update` is the email claim alone (a group change moves the
 * user in the aggregators' index, an email change does not).
 */
function withNewEmail(next: () => PlannedRequest, tag: string): () => PlannedRequest {
  let changed = 0;
  return () => {
    const planned = next();
    changed += 1;
    const email = `changed-${tag}-${changed}@example.com`;
    const body = JSON.parse(planned.body ?? '{}') as Record<string, unknown>;
    return { ...planned, body: JSON.stringify({ ...body, email }) };
  };
}

/** The originals again, in turn: the same key and the same body. */
function retries(originals: readonly PlannedRequest[]): () => PlannedRequest {
  let sent = 0;
  return () => {
    const original = originals[sent++ % originals.length];
    if (!original) throw new Error('retries need at least one original');
    return original;
  };
}

/**
 * In the order they are measured, which keeps each write next to the one it is set against:
 * their rounds run under the same load on the machine and the same heap of the system.
 */
export const SAFE_WRITES: readonly SafeWrite[] = [
  {
    kind: 'create',
    request: 'POST of a new user (new id and email)',
    requests: (tag, { seededUsers }) => scenario('create', seededUsers, tag),
    expected: { status: 201, replayed: false },
  },
  {
    kind: 'create, keyed',
    request: '`create` with a new `Idempotency-Key`',
    against: 'create',
    requests: (tag, { seededUsers }) => withFreshKey(scenario('create', seededUsers, tag)),
    expected: { status: 201, replayed: false },
  },
  {
    kind: 'update, keyed',
    request: '`update` with a new `Idempotency-Key`',
    against: 'update',
    requests: (tag, { seededUsers }) => withFreshKey(scenario('update', seededUsers, tag)),
    expected: { status: 200, replayed: false },
  },
  {
    kind: 'update',
    request: 'PUT `{id, group}` of a random seeded user, a random group',
    requests: (tag, { seededUsers }) => scenario('update', seededUsers, tag),
    expected: { status: 200, replayed: false },
  },
  {
    kind: 'update, email',
    request: '`update` with an email no one held added',
    against: 'update',
    requests: (tag, { seededUsers }) => withNewEmail(scenario('update', seededUsers, tag), tag),
    expected: { status: 200, replayed: false },
  },
  {
    kind: 'update, replayed',
    request: 'a keyed `update` carried out before, sent again (same key, same body)',
    against: 'update',
    requests: (_, { originals }) => retries(originals),
    expected: { status: 200, replayed: true },
  },
];

export interface SafeWriteRun {
  readonly kind: SafeWriteKind;
  readonly request: string;
  readonly against?: SafeWriteKind;
  /** Saturation, in round order; the best is the result, as interference only ever slows a run down. */
  readonly rounds: readonly LoadResult[];
  readonly best: LoadResult;
  /**
   * Throughput over that of `against`, in each round and their mean. Round by round rather than
   * best against best: the in-memory store keeps every event and key in the system's heap, which
   * grows all run long, and the two runs of one round, measured one after the other, see about
   * the same heap.
   */
  readonly ratios: readonly number[];
  readonly ratio: number | null;
  /** Kept for their answers: a warm-up's non-2xx count as much as a measured one's. */
  readonly warmups: readonly LoadResult[];
  /** From the gateway's counters over every measured round, warm-ups left out. */
  readonly costs: Costs;
}

export interface SafeWritesReport {
  readonly seededUsers: number;
  readonly originals: number;
  readonly connections: number;
  readonly runs: readonly SafeWriteRun[];
}

interface Answer {
  readonly status: number;
  readonly replayed: boolean;
  readonly body: string;
}

async function send(pool: Pool, planned: PlannedRequest): Promise<Answer> {
  const { statusCode, headers, body } = await pool.request({
    method: planned.method,
    path: planned.path,
    headers: {
      ...(planned.body ? { 'content-type': 'application/json' } : {}),
      ...planned.headers,
    },
    ...(planned.body ? { body: planned.body } : {}),
  });
  return {
    status: statusCode,
    replayed: headers['idempotent-replayed'] === 'true',
    body: await body.text(),
  };
}

/** Undefined when `answer` is what `write` expects and holds every field the request set. */
function problemWith(
  write: SafeWrite,
  planned: PlannedRequest,
  answer: Answer,
): string | undefined {
  const { status, replayed } = write.expected;
  if (answer.status !== status)
    return `${answer.status}, not ${status}: ${answer.body.slice(0, 200)}`;
  if (answer.replayed !== replayed) return `Idempotent-Replayed ${replayed ? 'missing' : 'sent'}`;
  const asked = JSON.parse(planned.body ?? '{}') as Record<string, unknown>;
  const user = JSON.parse(answer.body) as Record<string, unknown>;
  const differing = Object.keys(asked).filter((field) => user[field] !== asked[field]);
  return differing.length === 0 ? undefined : `the answer differs in ${differing.join(', ')}`;
}

/** One keyed update of each seeded user, carried out once, for the retries to send again. */
async function storeOriginals(pool: Pool, seededUsers: number): Promise<PlannedRequest[]> {
  const originals = Array.from({ length: seededUsers }, (_, n): PlannedRequest => ({
    method: 'PUT',
    path: '/api/user',
    body: JSON.stringify({ id: seededId(n), group: Math.floor(Math.random() * 1_000_000) }),
    headers: { 'idempotency-key': randomUUID() },
  }));
  let next = 0;
  const worker = async () => {
    for (let planned = originals[next++]; planned; planned = originals[next++]) {
      const { status, body } = await send(pool, planned);
      if (status !== 200) throw new Error(`a keyed update answered ${status}: ${body}`);
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  return originals;
}

/**
 * Writes with an Idempotency-Key, their retries and email changes, against the plain writes,
 * on one system of their own: each kind at saturation in alternating rounds (every other round
 * in reverse order, so that no kind always runs first on a smaller heap), store operations per
 * write from the gateway's counters around each measured round.
 */
export async function safeWritesCheck(
  store: StoreKind,
  options: BenchOptions,
  ports: { gateway: number; aggregators: number },
): Promise<SafeWritesReport> {
  const system = await startSystem({
    store,
    aggregators: 3,
    gatewayPort: ports.gateway,
    aggregatorBasePort: ports.aggregators,
  });
  const { url } = system;
  const pool = new Pool(url, { connections: 16 });
  try {
    await seedUsers(url, options.seedUsers);
    const context: RequestContext = {
      seededUsers: options.seedUsers,
      originals: await storeOriginals(pool, options.seedUsers),
    };
    for (const [index, write] of SAFE_WRITES.entries()) {
      const planned = write.requests(`check-${index}`, context)();
      const problem = problemWith(write, planned, await send(pool, planned));
      if (problem !== undefined) throw new Error(`${write.kind}: ${problem}`);
    }

    const measured = SAFE_WRITES.map((write) => ({
      write,
      rounds: [] as LoadResult[],
      warmups: [] as LoadResult[],
      costs: [] as Costs[],
    }));
    // Tags in the order of the runs, so that every run's new ids sort after all earlier ones:
    // the in-memory snapshot store keeps ids in one sorted array, and a create whose id sorts
    // before many others pays for moving them (see bench/README.md, Safe writes).
    let runs = 0;
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 === 0 ? measured : [...measured].reverse();
      for (const { write, rounds, warmups, costs } of order) {
        const next = write.requests(`safe-${String(runs++).padStart(3, '0')}`, context);
        const load = (seconds: number) =>
          runLoad({ url, scenario: write.kind, next, seconds, connections: options.connections });
        warmups.push(await load(options.warmup));
        const before = await scrape(url);
        rounds.push(await load(options.duration));
        costs.push(costsBetween(before, await scrape(url)));
      }
    }
    return {
      seededUsers: options.seedUsers,
      originals: context.originals.length,
      connections: options.connections,
      runs: measured.map(({ write, rounds, warmups, costs }) => {
        const against = measured.find((other) => other.write.kind === write.against)?.rounds ?? [];
        const ratios = against.map(
          (other, round) => (rounds[round]?.requestsPerSecond ?? 0) / other.requestsPerSecond,
        );
        return {
          kind: write.kind,
          request: write.request,
          ...(write.against ? { against: write.against } : {}),
          rounds,
          best: rounds.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a)),
          ratios,
          ratio:
            ratios.length === 0
              ? null
              : ratios.reduce((sum, ratio) => sum + ratio, 0) / ratios.length,
          warmups,
          costs: sumCosts(costs),
        };
      }),
    };
  } finally {
    await pool.close();
    await system.stop();
  }
}
