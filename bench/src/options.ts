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
  };
}
