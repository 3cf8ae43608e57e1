import ignore from '@balena/dockerignore';
import { spawnSync } from 'node:child_process';
import { nodeOfImage } from './node-of-image';
import { createHash, type Hash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';

/**
 * Replays a Dockerfile without a Docker engine, so that an image that cannot start fails a test
 * here: each stage gets a folder standing for its `/`, `COPY` copies into it (from the build
 * context through `.dockerignore`, or from an earlier stage's folder), `RUN` runs there with the
 * stage's `ENV`. What an engine would add (the base image's files, the user) is not replayed;
 * `notReplayed` says so, one line each.
 */
export interface ReplayedImage {
  /** The folder standing for the last stage's `/`. */
  readonly root: string;
  /** WORKDIR, as the image sees it. */
  readonly workdir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly cmd: readonly string[];
  readonly healthcheck: readonly string[] | undefined;
  readonly notReplayed: readonly string[];
}

interface Stage {
  readonly name: string | undefined;
  readonly root: string;
  workdir: string;
  env: Record<string, string>;
  cmd: string[];
  healthcheck: string[] | undefined;
  /** Sums up the stage's instructions and the files they copy: equal digests, equal stages. */
  readonly digest: string;
}

/** A stage as it stood once replayed, for a later stage of the same digest to start from. */
type FinishedStage = Omit<Stage, 'name'>;

/**
 * Stages already replayed, by digest, as an engine's build cache holds them: a stage whose
 * instructions and copied files are the same as one replayed before (the build stage the two
 * Dockerfiles share) is not run again. Pass one to several replays to share their work.
 */
export type StageCache = Map<string, FinishedStage>;

export function replayDockerfile(
  dockerfile: string,
  context: string,
  into: string,
  cache: StageCache = new Map(),
): ReplayedImage {
  refuseFolderInsideAPackage(into);
  const ignored = ignore().add(readDockerignore(context));
  const stages: Stage[] = [];
  const notReplayed: string[] = [];
  const all = stagesOf(dockerfile, readFileSync(join(context, dockerfile), 'utf8'));
  for (const [index, { from, instructions }] of all.entries()) {
    const [image, as, name] = from.split(/\s+/);
    if (as !== undefined && as.toUpperCase() !== 'AS')
      throw new Error(`FROM ${from}: cannot replay`);
    // The image's Node major where this machine has it, so that its processes run on what the
    // image runs (deployment review L9); else the running one, and the note says so.
    const node = nodeOfImage(image ?? '');
    const note = node
      ? `FROM ${image}: not pulled; this machine's files and node ${node.version} (the image's major) stand in for it`
      : `FROM ${image}: not pulled; this machine's files and node ${process.version} stand in for it (no Node of the image's major here)`;
    if (!notReplayed.includes(note)) notReplayed.push(note);
    const digest = stageDigest(image ?? '', instructions, stages, context, ignored);
    // The image's own stage is never shared: its folder is where the image's processes run.
    const last = index === all.length - 1;
    const done = last ? undefined : cache.get(digest);
    if (done) {
      stages.push({ ...done, name });
      notReplayed.push(
        `stage ${name ?? index}: not run again, as a stage with the same instructions and files was replayed before (an engine's build cache would reuse it too)`,
      );
      continue;
    }
    const root = join(into, `stage-${index}`);
    mkdirSync(root, { recursive: true });
    const stage: Stage = {
      name,
      root,
      workdir: '/',
      env: node ? { PATH: `${dirname(node.bin)}:${process.env.PATH ?? '/usr/bin:/bin'}` } : {},
      cmd: [],
      healthcheck: undefined,
      digest,
    };
    stages.push(stage);
    replayStage(stage, instructions, { dockerfile, stages, context, ignored, notReplayed });
    if (!last) cache.set(digest, { ...stage });
  }
  const last = stages.at(-1);
  if (!last) throw new Error(`${dockerfile}: no FROM`);
  return {
    root: last.root,
    workdir: last.workdir,
    env: last.env,
    cmd: last.cmd,
    healthcheck: last.healthcheck,
    notReplayed,
  };
}

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** The Dockerfile's stages: each FROM's arguments, and the instructions up to the next FROM. */
function stagesOf(
  dockerfile: string,
  text: string,
): { from: string; instructions: Instruction[] }[] {
  const stages: { from: string; instructions: Instruction[] }[] = [];
  for (const instruction of instructionsOf(text)) {
    if (instruction.keyword === 'FROM') stages.push({ from: instruction.args, instructions: [] });
    else if (stages.length === 0) throw new Error(`${dockerfile}: an instruction before FROM`);
    else stages.at(-1)?.instructions.push(instruction);
  }
  return stages;
}

/**
 * What a stage's result depends on, as an engine's cache key does: its base image, each
 * instruction's text, the contents (and modes) of the files each COPY takes from the context,
 * and the digest of each stage a COPY --from takes files from.
 */
function stageDigest(
  image: string,
  instructions: readonly Instruction[],
  earlier: readonly Stage[],
  context: string,
  ignored: ReturnType<typeof ignore>,
): string {
  const hash = createHash('sha256').update(`FROM ${image}\n`);
  for (const { keyword, args } of instructions) {
    hash.update(`${keyword} ${args}\n`);
    if (keyword !== 'COPY') continue;
    const { from, sources } = copyArguments(args);
    if (from !== undefined) {
      hash.update(`from ${earlier.find((stage) => stage.name === from)?.digest ?? from}\n`);
      continue;
    }
    for (const source of sources) hashFiles(hash, context, join(context, source), ignored);
  }
  return hash.digest('hex');
}

/** Every file under `path` the context holds (.dockerignore applied): its path, mode and bytes. */
function hashFiles(
  hash: Hash,
  context: string,
  path: string,
  ignored: ReturnType<typeof ignore>,
): void {
  const name = relative(context, path).split(sep).join('/');
  if (name !== '' && ignored.ignores(name)) return;
  const stats = lstatSync(path, { throwIfNoEntry: false });
  if (!stats) {
    hash.update(`missing ${name}\n`);
  } else if (stats.isSymbolicLink()) {
    hash.update(`link ${name} ${readlinkSync(path)}\n`);
  } else if (stats.isDirectory()) {
    for (const entry of readdirSync(path).sort())
      hashFiles(hash, context, join(path, entry), ignored);
  } else {
    hash.update(`file ${name} ${stats.mode}\n`).update(readFileSync(path));
  }
}

interface Replay {
  readonly dockerfile: string;
  readonly stages: readonly Stage[];
  readonly context: string;
  readonly ignored: ReturnType<typeof ignore>;
  readonly notReplayed: string[];
}

function replayStage(stage: Stage, instructions: readonly Instruction[], replay: Replay): void {
  const { dockerfile, stages, context, ignored, notReplayed } = replay;
  for (const { keyword, args } of instructions) {
    switch (keyword) {
      case 'WORKDIR': {
        stage.workdir = posix.resolve(stage.workdir, args);
        mkdirSync(inside(stage, stage.workdir), { recursive: true });
        break;
      }
      case 'ENV':
        Object.assign(stage.env, parseEnv(args));
        break;
      case 'COPY':
        copy(stage, stages, args, context, ignored);
        break;
      case 'RUN':
        run(stage, args);
        break;
      case 'CMD':
        stage.cmd = execForm(args);
        break;
      case 'HEALTHCHECK': {
        const command = /\bCMD\s+(\[.*\])\s*$/.exec(args)?.[1];
        if (command === undefined)
          throw new Error(`HEALTHCHECK ${args}: cannot replay (only the exec form)`);
        stage.healthcheck = execForm(command);
        break;
      }
      case 'USER':
        notReplayed.push(
          `USER ${args}: ran as this machine's user (uid ${process.getuid?.() ?? '?'})`,
        );
        break;
      case 'EXPOSE':
      case 'STOPSIGNAL':
        notReplayed.push(`${keyword} ${args}: a setting for the engine, nothing to replay`);
        break;
      default:
        throw new Error(
          `${dockerfile}: ${keyword} is not replayed yet; teach dockerfile-replay.ts before using it`,
        );
    }
  }
}

/** Where a path of the image lies on this machine. */
export function inside(image: { readonly root: string }, path: string): string {
  return join(image.root, ...path.split('/'));
}

/** The environment a process of the image gets: the image's ENV over a bare PATH and HOME. */
export function imageEnvironment(image: {
  readonly env: Readonly<Record<string, string>>;
}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/tmp',
    ...image.env,
  };
}

/** Continuation lines joined, comments and blank lines dropped. */
export function instructionsOf(text: string): { keyword: string; args: string }[] {
  return text
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

function copy(
  stage: Stage,
  stages: readonly Stage[],
  args: string,
  context: string,
  ignored: ReturnType<typeof ignore>,
): void {
  const { from, sources, destination } = copyArguments(args);
  const target = posix.resolve(stage.workdir, destination);
  const intoFolder = destination.endsWith('/') || sources.length > 1;
  for (const source of sources) {
    let origin: string;
    let keep: (path: string) => boolean = () => true;
    if (from === undefined) {
      origin = join(context, source);
      const excluded = (path: string) =>
        ignored.ignores(relative(context, path).split(sep).join('/'));
      if (excluded(origin))
        throw new Error(
          `COPY ${source}: excluded by .dockerignore, so an engine would not find it`,
        );
      keep = (path) => !excluded(path);
    } else {
      const earlier = stages.find((candidate) => candidate.name === from);
      if (!earlier) throw new Error(`COPY --from=${from}: no earlier stage of that name`);
      origin = inside(earlier, posix.resolve(earlier.workdir, source));
    }
    if (!existsSync(origin))
      throw new Error(`COPY ${source}: not found, so an engine would fail here`);
    // A folder's contents go into the target folder, merging with what is there; a file goes
    // into the target folder when it names one, else it becomes the target.
    const destinationPath =
      statSync(origin).isDirectory() || !intoFolder
        ? inside(stage, target)
        : inside(stage, posix.join(target, posix.basename(source)));
    mkdirSync(statSync(origin).isDirectory() ? destinationPath : dirname(destinationPath), {
      recursive: true,
    });
    cpSync(origin, destinationPath, {
      recursive: true,
      force: true,
      verbatimSymlinks: true,
      filter: (path) => keep(path),
    });
  }
}

/** A COPY's stage (--from), sources and destination; throws for what cannot be replayed. */
function copyArguments(args: string): {
  from: string | undefined;
  sources: string[];
  destination: string;
} {
  const words = args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  const unknown = flags.filter((flag) => !flag.startsWith('--from='));
  const destination = paths.at(-1);
  if (
    unknown.length > 0 ||
    destination === undefined ||
    paths.length < 2 ||
    args.includes('[') ||
    /[*?]/.test(args)
  ) {
    throw new Error(
      `COPY ${args}: cannot replay (flags ${unknown.join(' ')}, JSON form or wildcards)`,
    );
  }
  return { from, sources: paths.slice(0, -1), destination };
}

function run(stage: Stage, command: string): void {
  if (command.startsWith('[')) throw new Error(`RUN ${command}: cannot replay the exec form`);
  if (/(^|\s)\/(?!dev\/null)/.test(command))
    throw new Error(`RUN ${command}: cannot replay absolute paths`);
  const result = spawnSync('/bin/sh', ['-c', command], {
    cwd: inside(stage, stage.workdir),
    // npm may answer from this machine's cache first: the lock file pins what it installs.
    env: {
      ...imageEnvironment(stage),
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
    },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.status !== 0) {
    throw new Error(
      `RUN ${command}: exit ${result.status ?? result.signal}\n${result.stdout}\n${result.stderr}`,
    );
  }
}

function execForm(args: string): string[] {
  if (!args.startsWith('[')) return ['/bin/sh', '-c', args];
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((part) => typeof part === 'string'))
    throw new Error(`${args}: not an exec form`);
  return parsed;
}

function parseEnv(args: string): Record<string, string> {
  if (/["']/.test(args) || !args.includes('='))
    throw new Error(`ENV ${args}: cannot replay (quotes or the legacy form)`);
  return Object.fromEntries(
    args
      .split(/\s+/)
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

function readDockerignore(context: string): string[] {
  const path = join(context, '.dockerignore');
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n') : [];
}

/**
 * Node looks for packages in every parent folder: inside a folder that has node_modules above
 * it, a module the image lacks would be found anyway and the replay would prove nothing.
 */
function refuseFolderInsideAPackage(folder: string): void {
  for (let parent = dirname(folder); ; parent = dirname(parent)) {
    if (existsSync(join(parent, 'node_modules')))
      throw new Error(`${folder}: ${parent} has node_modules; replay elsewhere`);
    if (dirname(parent) === parent) return;
  }
}
