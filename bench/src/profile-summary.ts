import { readFileSync } from 'node:fs';
import { REPO } from './processes';

/** A frame's file, relative to the repository or to node_modules. */
function shortPath(url: string): string {
  return url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, '')
    .replace(`${REPO}/`, '');
}

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame; hitCount?: number }[];
  /** Microseconds of the monotonic clock (process.hrtime's), as are the deltas. */
  startTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A span of a profile, in microseconds of the monotonic clock; the whole profile without one. */
export interface ProfileWindow {
  readonly fromMicros: number;
  readonly toMicros: number;
}

/** The samples each node took itself, within `window` when given. */
function hitsOf(profile: CpuProfile, window: ProfileWindow | undefined): Map<number, number> {
  const hits = new Map<number, number>();
  if (!window) {
    for (const node of profile.nodes) hits.set(node.id, node.hitCount ?? 0);
    return hits;
  }
  let time = profile.startTime;
  const deltas = profile.timeDeltas ?? [];
  for (const [index, id] of (profile.samples ?? []).entries()) {
    time += deltas[index] ?? 0;
    if (time >= window.fromMicros && time < window.toMicros) hits.set(id, (hits.get(id) ?? 0) + 1);
  }
  return hits;
}

/** Self time of a .cpuprofile, summed by `keyOf`, as "share  key" lines, largest first. */
function selfTimeBy(
  profilePath: string,
  keyOf: (frame: CallFrame) => string,
  count: number,
  window?: ProfileWindow,
): string[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const nodeHits = hitsOf(profile, window);
  const hits = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const samples = nodeHits.get(node.id) ?? 0;
    total += samples;
    const key = keyOf(node.callFrame);
    hits.set(key, (hits.get(key) ?? 0) + samples);
  }
  return [...hits]
    .sort((a, b) => b[1] - a[1])
    .slice(0, count)
    .map(([key, samples]) => `${((samples / total) * 100).toFixed(1).padStart(5)}%  ${key}`);
}

/** The functions that took most of the CPU samples themselves, with file and line. */
export function topSelfTime(profilePath: string, count = 25, window?: ProfileWindow): string[] {
  return selfTimeBy(
    profilePath,
    ({ functionName, url, lineNumber }) => {
      const where = shortPath(url);
      return `${functionName || '(anonymous)'}  ${where || '(native)'}:${lineNumber + 1}`;
    },
    count,
    window,
  );
}

/** Self time by package, source folder or node module: where the CPU goes, coarsely. */
export function selfTimeByArea(profilePath: string, window?: ProfileWindow): string[] {
  return selfTimeBy(
    profilePath,
    ({ url, functionName }) => {
      if (url.includes('/node_modules/')) {
        const path = url.split('/node_modules/').pop() ?? url;
        return path
          .split('/')
          .slice(0, path.startsWith('@') ? 2 : 1)
          .join('/');
      }
      if (url.startsWith('file://') || url.startsWith('/'))
        return shortPath(url).split('/')[0] ?? url;
      return url.startsWith('node:') ? url : `(${functionName || 'native'})`;
    },
    20,
    window,
  );
}
