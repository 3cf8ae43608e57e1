export interface BenchOptions {
  readonly quick: boolean;
  /** Seconds per measured run. */
  readonly duration: number;
  readonly warmup: number;
  /** Alternating rounds of each saturation measurement; the best is kept. */
  readonly rounds: number;
  readonly connections: number;
  readonly seedUsers: number;
  readonly recoveryUsers: number;
  readonly recoveryEvents: readonly number[];
  readonly complexityAggregators: readonly number[];
  /** Profile the system process under `read` and `update` instead of the full run. */
  readonly profile: boolean;
  /** The parts of the run to do (`--only read-side,space`); every part when not given. */
  readonly parts: ReadonlySet<BenchPart>;
  /** Read side: users seeded, events of the one user whose history is read, days the events span. */
  readonly readUsers: number;
  readonly historyEvents: number;
  readonly eventDays: number;
  /** Read side: connections of its load, a few, for light load. */
  readonly readConnections: number;
  /** The tail on a fresh system: requests sent, their rate per second, over so many connections. */
  readonly tailRequests: number;
  readonly tailRate: number;
  readonly tailConnections: number;
  /** The ports the bench's processes listen on (see portsOf). */
  readonly ports: BenchPorts;
  /** `--system-flags a,b`: node flags for the system process of the scenarios and the tail, to try one (e.g. a V8 flag). */
  readonly systemFlags: readonly string[];
}

/** Where the system under test and the baseline listen: free ports of this machine. */
export interface BenchPorts {
  readonly gateway: number;
  readonly baseline: number;
  /** The first aggregator's; the others follow it (at most 6 aggregators). */
  readonly aggregators: number;
}

/**
 * `--port-base N`: the gateway on N, the baseline on N+10, the aggregators from N+20, so that
 * benches run side by side in ranges of their own. Without it, the ports the bench always used.
 */
export function portsOf(base: number | undefined): BenchPorts {
  if (base === undefined) return { gateway: 18080, baseline: 18090, aggregators: 19100 };
  if (!Number.isInteger(base) || base + 30 > 65535)
    throw new Error('--port-base needs an integer port, at most 65505');
  return { gateway: base, baseline: base + 10, aggregators: base + 20 };
}

export const BENCH_PARTS = [
  'scenarios',
  'complexity',
  'safe-writes',
  'recovery',
  'space',
  'read-side',
  'tail',
  'tokens',
  'leases',
  'rebuild',
] as const;
export type BenchPart = (typeof BENCH_PARTS)[number];

function partsOf(list: string | undefined): ReadonlySet<BenchPart> {
  if (list === undefined) return new Set(BENCH_PARTS);
  const parts = list.split(',');
  const unknown = parts.filter((part) => !(BENCH_PARTS as readonly string[]).includes(part));
  if (unknown.length > 0)
    throw new Error(`--only takes some of ${BENCH_PARTS.join(', ')}, separated by commas`);
  return new Set(parts as BenchPart[]);
}

export function parseOptions(argv: readonly string[]): BenchOptions {
  const flag = (name: string) => argv.includes(`--${name}`);
  const number = (name: string, fallback: number) => {
    const index = argv.indexOf(`--${name}`);
    if (index < 0) return fallback;
    const value = Number(argv[index + 1]);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
    return value;
  };
  const quick = flag('quick');
  const recoveryUsers = number('recovery-users', quick ? 10_000 : 100_000);
  // One page of history answers at most 1,000 events (the gateway's MAX_LIMIT).
  const historyEvents = number('history-events', 1_000);
  if (!Number.isInteger(historyEvents) || historyEvents > 1_000)
    throw new Error('--history-events needs an integer of at most 1000');
  // The statistics route answers at most 366 days at a time.
  const eventDays = number('event-days', 30);
  if (!Number.isInteger(eventDays) || eventDays > 366)
    throw new Error('--event-days needs an integer of at most 366');
  return {
    quick,
    duration: number('duration', quick ? 2 : 10),
    warmup: number('warmup', quick ? 1 : 3),
    rounds: number('rounds', quick ? 1 : 2),
    connections: number('connections', 32),
    // Profiling seeds fewer, so that the profile shows the scenario rather than the seeding.
    seedUsers: number('users', flag('profile') ? 1_000 : 10_000),
    recoveryUsers,
    recoveryEvents: [0, recoveryUsers / 10, recoveryUsers],
    complexityAggregators: [1, 3, 6],
    profile: flag('profile'),
    parts: partsOf(argv.includes('--only') ? (argv[argv.indexOf('--only') + 1] ?? '') : undefined),
    readUsers: number('read-users', quick ? 10_000 : 100_000),
    historyEvents,
    eventDays,
    readConnections: number('read-connections', 4),
    tailRequests: number('tail-requests', 10_000),
    tailRate: number('tail-rate', 500),
    tailConnections: number('tail-connections', 16),
    systemFlags: (argv.includes('--system-flags')
      ? (argv[argv.indexOf('--system-flags') + 1] ?? '')
      : ''
    )
      .split(',')
      .filter(Boolean),
    ports: portsOf(argv.includes('--port-base') ? number('port-base', 0) : undefined),
  };
}
