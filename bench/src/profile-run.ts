import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { runLoad } from './load';
import type { BenchOptions } from './options';
import { REPO, type StoreKind, startSystem } from './processes';
import { selfTimeByArea, timeByConcern, topSelfTime } from './profile-summary';
import { tailTable } from './report';
import { tailCheck } from './tail';
import { scenario, type ScenarioName } from './scenarios';
import { seedUsers } from './seed';

/**
 * Runs one scenario at saturation against a system started with --cpu-prof, and prints where
 * its process spent the CPU. In memory mode gateway and aggregators share that one process.
 */
export async function profileScenario(
  name: ScenarioName,
  store: StoreKind,
  options: BenchOptions,
  ports: { gateway: number; aggregators: number },
): Promise<string> {
  const dir = resolve(REPO, 'bench/results/profiles', name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const system = await startSystem({
    store,
    aggregators: 3,
    gatewayPort: ports.gateway,
    aggregatorBasePort: ports.aggregators,
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  });
  let requestsPerSecond: number;
  const micros = () => Number(process.hrtime.bigint() / 1000n);
  let fromMicros: number;
  let toMicros: number;
  try {
    await seedUsers(system.url, options.seedUsers);
    const next = scenario(name, options.seedUsers, `profile-${name}`);
    fromMicros = micros();
    requestsPerSecond = (
      await runLoad({
        url: system.url,
        scenario: name,
        next,
        seconds: options.duration,
        connections: options.connections,
      })
    ).requestsPerSecond;
    toMicros = micros();
  } finally {
    await system.stop();
  }
  const [profile] = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (!profile) return `no profile was written for ${name}`;
  const path = resolve(dir, profile);
  const load = { fromMicros, toMicros };
  return [
    `### ${name}: ${Math.round(requestsPerSecond)} req/s under the profiler (${path.replace(`${REPO}/`, '')})`,
    '',
    'Where the time of the load went (start-up and seeding left out):',
    '```',
    ...timeByConcern(path, load),
    '```',
    'Self time by area:',
    '```',
    ...selfTimeByArea(path, load),
    '```',
    'Top functions by self time:',
    '```',
    ...topSelfTime(path, 25, load),
    '```',
  ].join('\n');
}

/** Seconds of the tail's start whose profile is shown apart: what the first requests pay for. */
const FIRST_SECONDS = 2;

/**
 * The tail (see tail.ts) against a system started with --cpu-prof, and where that process spent
 * the CPU in the tail's first FIRST_SECONDS seconds against the rest of it.
 */
export async function profileTail(options: BenchOptions): Promise<string> {
  const dir = resolve(REPO, 'bench/results/profiles/tail');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let startMicros = 0;
  const tail = await tailCheck(options, {
    nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`],
    onStart: (micros) => (startMicros = micros),
  });
  const [profile] = readdirSync(dir).filter((file) => file.endsWith('.cpuprofile'));
  if (!profile) return 'no profile was written for the tail';
  const path = resolve(dir, profile);
  const first = { fromMicros: startMicros, toMicros: startMicros + FIRST_SECONDS * 1e6 };
  const rest = { fromMicros: first.toMicros, toMicros: Number.POSITIVE_INFINITY };
  return [
    `### tail under the profiler (${path.replace(`${REPO}/`, '')})`,
    '',
    tailTable(tail),
    '',
    `Where the time went, the first ${FIRST_SECONDS} s of the tail:`,
    '```',
    ...timeByConcern(path, first),
    '```',
    'Where the time went, the rest of the tail:',
    '```',
    ...timeByConcern(path, rest),
    '```',
    `Self time by area, the first ${FIRST_SECONDS} s of the tail:`,
    '```',
    ...selfTimeByArea(path, first),
    '```',
    `Top functions by self time, the first ${FIRST_SECONDS} s:`,
    '```',
    ...topSelfTime(path, 30, first),
    '```',
    'Self time by area, the rest of the tail:',
    '```',
    ...selfTimeByArea(path, rest),
    '```',
  ].join('\n');
}
