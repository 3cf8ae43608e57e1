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
  nodes: { id: number; callFrame: CallFrame; hitCount?: number; children?: number[] }[];
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

/** What a request's time is spent on, coarsely: the rows of the profile summary in bench/README.md. */
export type Concern =
  | "node's HTTP server and sockets"
  | 'express and its parsers'
  | 'undici (requests to the aggregators)'
  | 'JSON'
  | 'cipher (personal data)'
  | 'store'
  | 'validation'
  | 'metrics'
  | 'request ids and logs'
  | 'circuit breaker'
  | 'service logic'
  | 'garbage collector'
  | 'V8 and the event loop'
  | 'loading modules'
  | 'idle'
  | 'other';

const HTTP_PACKAGES = new Set([
  'express',
  'router',
  'body-parser',
  'raw-body',
  'iconv-lite',
  'type-is',
  'content-type',
  'parseurl',
  'on-finished',
  'finalhandler',
  'send',
  'statuses',
  'media-typer',
  'mime-types',
  'negotiator',
  'accepts',
  'http-errors',
  'depd',
  'encodeurl',
  'escape-html',
  'vary',
  'fresh',
  'range-parser',
  'cookie',
  'qs',
  'path-to-regexp',
  'merge-descriptors',
  'forwarded',
  'proxy-addr',
  'ee-first',
  'unpipe',
  'bytes',
  'debug',
  'ms',
]);
const LOG_PACKAGES = new Set([
  'winston',
  'winston-transport',
  'logform',
  'safe-stable-stringify',
  'triple-beam',
  '@colors/colors',
  'fecha',
  'readable-stream',
]);

const HTTP: Concern = "node's HTTP server and sockets";
const EXPRESS: Concern = 'express and its parsers';
const UNDICI: Concern = 'undici (requests to the aggregators)';

/** The concern a native leaf frame is by itself, if it is one. */
function leafConcern({ functionName, url }: CallFrame): Concern | undefined {
  if (functionName === '(garbage collector)') return 'garbage collector';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'V8 and the event loop';
  if (url.startsWith('wasm://')) return UNDICI;
  if (url === '' && /^(writev|writeBuffer|writeLatin1String|writeUtf8String)$/.test(functionName))
    return HTTP;
  return undefined;
}

/** The concern of one of node's own frames, if it says one. */
function nodeConcern({ url }: CallFrame): Concern | undefined {
  if (url.startsWith('node:internal/crypto')) return 'cipher (personal data)';
  if (url.startsWith('node:internal/modules')) return 'loading modules';
  if (/^node:(_http_|net$|internal\/stream|internal\/http)/.test(url)) return HTTP;
  return undefined;
}

/** The concern of a frame of a package or of our code; undefined for node's own and native frames. */
function codeConcern({ functionName, url }: CallFrame): Concern | undefined {
  if (url.includes('/node_modules/')) {
    const path = url.split('/node_modules/').pop() ?? '';
    const name = path
      .split('/')
      .slice(0, path.startsWith('@') ? 2 : 1)
      .join('/');
    if (functionName === 'stringify' && path.startsWith('express/lib/response')) return 'JSON';
    if (functionName === 'parse' && path.startsWith('body-parser/lib/types/json')) return 'JSON';
    if (name === 'ajv' || name === 'ajv-formats' || name === 'fast-uri') return 'validation';
    if (name === 'prom-client' || name === 'tdigest' || name === 'bintrees') return 'metrics';
    if (name === 'opossum') return 'circuit breaker';
    if (name === 'uuid') return 'request ids and logs';
    if (LOG_PACKAGES.has(name)) return 'request ids and logs';
    if (name === 'undici') return UNDICI;
    if (HTTP_PACKAGES.has(name)) return EXPRESS;
    return 'other';
  }
  // Code ajv generates has no file.
  if (url === '' && /^validate\d*$/.test(functionName)) return 'validation';
  if (!url.startsWith('file://') && !url.startsWith('/')) return undefined;
  const path = shortPath(url);
  if (/personal-data\//.test(path)) return 'cipher (personal data)';
  if (/\/store\/|counted-store/.test(path)) return 'store';
  if (/validation|query-parameters|nesting-limit|query-schemas|request-parts/.test(path))
    return 'validation';
  if (/metrics/.test(path)) return 'metrics';
  if (/observability\/|request-context/.test(path)) return 'request ids and logs';
  return 'service logic';
}

/**
 * Self time of a .cpuprofile by concern: each sample goes to its leaf frame's concern when that is
 * one by itself (a socket write, a cipher, the collector), else to the innermost frame of a package
 * or of our code above it (node's own helpers count for their caller). JSON shows apart only where
 * a package calls it from a function of its own (express's `stringify`, body-parser's `parse`);
 * elsewhere it counts for the code that calls it.
 */
export function timeByConcern(profilePath: string, window?: ProfileWindow): string[] {
  const profile = JSON.parse(readFileSync(profilePath, 'utf8')) as CpuProfile;
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes)
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const concernOf = (id: number): Concern => {
    const leaf = nodes.get(id);
    if (!leaf) return 'other';
    const own = leafConcern(leaf.callFrame);
    if (own) return own;
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const frame = nodes.get(at)?.callFrame;
      const concern = frame ? (codeConcern(frame) ?? nodeConcern(frame)) : undefined;
      if (concern) return concern;
    }
    // Only node's scheduling frames up to the root: microtasks, ticks and timers themselves.
    return 'V8 and the event loop';
  };
  const totals = new Map<Concern, number>();
  let all = 0;
  for (const [id, samples] of hitsOf(profile, window)) {
    if (samples === 0) continue;
    const concern = concernOf(id);
    totals.set(concern, (totals.get(concern) ?? 0) + samples);
    all += samples;
  }
  const busy = all - (totals.get('idle') ?? 0);
  return [...totals]
    .filter(([concern]) => concern !== 'idle')
    .sort((a, b) => b[1] - a[1])
    .map(([concern, samples]) => `${((samples / busy) * 100).toFixed(1).padStart(5)}%  ${concern}`)
    .concat(
      `(idle: ${(((totals.get('idle') ?? 0) / all) * 100).toFixed(1)}% of all samples; shares above are of the busy ones)`,
    );
}
