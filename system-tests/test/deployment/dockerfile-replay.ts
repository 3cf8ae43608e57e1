import ignore from '@balena/dockerignore';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
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
}

export function replayDockerfile(dockerfile: string, context: string, into: string): ReplayedImage {
  refuseFolderInsideAPackage(into);
  const ignored = ignore().add(readDockerignore(context));
  const stages: Stage[] = [];
  const notReplayed: string[] = [];
  const current = (): Stage => {
    const stage = stages.at(-1);
    if (!stage) throw new Error(`${dockerfile}: an instruction before FROM`);
    return stage;
  };
  for (const { keyword, args } of instructionsOf(readFileSync(join(context, dockerfile), 'utf8'))) {
    switch (keyword) {
      case 'FROM': {
        const [image, as, name] = args.split(/\s+/);
        if (as !== undefined && as.toUpperCase() !== 'AS')
          throw new Error(`FROM ${args}: cannot replay`);
        const root = join(into, `stage-${stages.length}`);
        mkdirSync(root, { recursive: true });
        stages.push({ name, root, workdir: '/', env: {}, cmd: [], healthcheck: undefined });
        const note = `FROM ${image}: not pulled; this machine's files and node ${process.version} stand in for it`;
        if (!notReplayed.includes(note)) notReplayed.push(note);
        break;
      }
      case 'WORKDIR': {
        const stage = current();
        stage.workdir = posix.resolve(stage.workdir, args);
        mkdirSync(inside(stage, stage.workdir), { recursive: true });
        break;
      }
      case 'ENV':
        Object.assign(current().env, parseEnv(args));
        break;
      case 'COPY':
        copy(current(), stages, args, context, ignored);
        break;
      case 'RUN':
        run(current(), args);
        break;
      case 'CMD':
        current().cmd = execForm(args);
        break;
      case 'HEALTHCHECK': {
        const command = /\bCMD\s+(\[.*\])\s*$/.exec(args)?.[1];
        if (command === undefined)
          throw new Error(`HEALTHCHECK ${args}: cannot replay (only the exec form)`);
        current().healthcheck = execForm(command);
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
  const last = current();
  return {
    root: last.root,
    workdir: last.workdir,
    env: last.env,
    cmd: last.cmd,
    healthcheck: last.healthcheck,
    notReplayed,
  };
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
  const words = args.split(/\s+/);
  const flags = words.filter((word) => word.startsWith('--'));
  const paths = words.filter((word) => !word.startsWith('--'));
  const from = flags.find((flag) => flag.startsWith('--from='))?.slice('--from='.length);
  const unknown = flags.filter((flag) => !flag.startsWith('--from='));
  if (unknown.length > 0 || paths.length < 2 || args.includes('[') || /[*?]/.test(args)) {
    throw new Error(
      `COPY ${args}: cannot replay (flags ${unknown.join(' ')}, JSON form or wildcards)`,
    );
  }
  const destination = paths.at(-1)!;
  const sources = paths.slice(0, -1);
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
