import { errorText } from '@user-service/common/observability';
import { DryMongoBinary } from 'mongodb-memory-server';
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DOWNLOAD_LIMITS, watchDownload, type WatchdogLimits } from './download-watchdog';

/** A mongod to run, or why there is none, in words fit to show the user. */
export type MongodLookup =
  { readonly binary: string } | { readonly binary: undefined; readonly reason: string };

export interface ObtainOptions {
  /** Whether to download one through mongodb-memory-server when none is here. */
  readonly download: boolean;
  /** Where to say that a download is starting. */
  readonly log?: (line: string) => void;
  /** Tests shorten these; everyone else gets DOWNLOAD_LIMITS. */
  readonly limits?: WatchdogLimits;
}

const NOT_HERE =
  "no mongod binary here (MONGOMS_SYSTEM_BINARY unset, none in mongodb-memory-server's cache)";

/**
 * Finds a mongod the way mongodb-memory-server would (MONGOMS_SYSTEM_BINARY, then its caches),
 * and with `download` fetches one into its cache when there is none. Never throws: every way of
 * not getting one comes back as a reason.
 */
export async function obtainMongod(options: ObtainOptions): Promise<MongodLookup> {
  const systemBinary = process.env.MONGOMS_SYSTEM_BINARY;
  // Downloading would not honour this setting, so a wrong one stops here.
  if (systemBinary) {
    const binary = resolve(systemBinary);
    const problem = systemBinaryProblem(binary);
    return problem === undefined
      ? { binary }
      : { binary: undefined, reason: `MONGOMS_SYSTEM_BINARY=${systemBinary} ${problem}` };
  }
  let binary: string | undefined;
  try {
    binary = await DryMongoBinary.locateBinary(DryMongoBinary.getEnsuredOptions());
  } catch (error) {
    return { binary: undefined, reason: `looking for a mongod failed: ${oneLine(error)}` };
  }
  if (binary) return { binary };
  if (!options.download) return { binary: undefined, reason: NOT_HERE };

  let target: { version: string; downloadDir: string };
  try {
    target = await DryMongoBinary.generateOptions(DryMongoBinary.getEnsuredOptions());
  } catch (error) {
    return {
      binary: undefined,
      reason: `${NOT_HERE}, and no download could be set up: ${oneLine(error)}`,
    };
  }
  options.log?.(
    `No mongod here: downloading MongoDB ${target.version} into ${target.downloadDir}, where later runs will find it.`,
  );
  const outcome = await downloadInChild(target.downloadDir, options.limits ?? DOWNLOAD_LIMITS);
  return 'binary' in outcome
    ? outcome
    : { binary: undefined, reason: `${NOT_HERE}, and downloading one failed: ${outcome.error}` };
}

/**
 * Why `path` is no mongod to run, or undefined when it is one: it exists, may be executed, and
 * says `db version v…` to `--version`, as mongodb-memory-server expects (its own complaint,
 * "Couldnt find an version from system binary output!", names neither the binary nor a fix).
 */
export function systemBinaryProblem(path: string): string | undefined {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return 'does not exist';
  if (!stats.isFile()) return 'is not a file';
  try {
    accessSync(path, constants.X_OK);
  } catch {
    return 'is not executable';
  }
  const probe = spawnSync(path, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  if (probe.error) return `could not be run (${oneLine(probe.error)})`;
  if (!/^\s*db\s+version\s+v?\d+\.\d+\.\d+/im.test(probe.stdout ?? '')) {
    return `is not a mongod: \`${path} --version\` printed no "db version v…" line`;
  }
  return undefined;
}

type DownloadOutcome = { readonly binary: string } | { readonly error: string };

/**
 * mongodb-memory-server's download cannot be cancelled, and without network it retries for
 * seconds before failing, so it runs in a child process that the watchdog can kill. The child
 * reports the binary's path, or the error, over IPC.
 */
const DOWNLOAD_SCRIPT = `
const { MongoBinary } = require(process.argv[1]);
const report = (outcome) => process.send(outcome, () => process.exit(0));
MongoBinary.getPath().then(
  (binary) => report({ binary }),
  (error) => report({ error: error instanceof Error ? error.message : String(error) }),
);
`;

function downloadInChild(downloadDir: string, limits: WatchdogLimits): Promise<DownloadOutcome> {
  return new Promise((done) => {
    let outcome: DownloadOutcome | undefined;
    const child = spawn(
      process.execPath,
      ['-e', DOWNLOAD_SCRIPT, require.resolve('mongodb-memory-server')],
      {
        // Inherited, so that mongodb-memory-server's own progress bar shows on the terminal.
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        // Explicit, because where this runs under jest the MONGOMS_* settings live in a copy of the environment.
        env: process.env,
      },
    );
    const stopWatching = watchDownload(
      () => bytesIn(downloadDir),
      limits,
      (reason) => {
        outcome ??= { error: reason };
        child.kill();
      },
    );
    child.on('message', (message: unknown) => {
      if (isBinary(message)) outcome ??= { binary: message.binary };
      else if (isError(message)) outcome ??= { error: oneLine(message.error) };
    });
    child.on('error', (error) => {
      stopWatching();
      done({ error: oneLine(error) });
    });
    child.on('exit', (code, signal) => {
      stopWatching();
      done(
        outcome ?? { error: `the download process ended with ${signal ?? `exit code ${code}`}` },
      );
    });
  });
}

/**
 * What the download has put on disk so far: the temporary archive, then the extracted binary.
 * Not the lock file mongodb-memory-server writes before connecting, which is no sign of network.
 */
function bytesIn(dir: string): number {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isFile() && !entry.name.endsWith('.lock'))
      .reduce(
        (sum, entry) =>
          sum + (statSync(join(dir, entry.name), { throwIfNoEntry: false })?.size ?? 0),
        0,
      );
  } catch {
    return 0; // not created yet
  }
}

function isBinary(message: unknown): message is { binary: string } {
  return (
    typeof message === 'object' &&
    message !== null &&
    'binary' in message &&
    typeof message.binary === 'string'
  );
}

function isError(message: unknown): message is { error: string } {
  return (
    typeof message === 'object' &&
    message !== null &&
    'error' in message &&
    typeof message.error === 'string'
  );
}

/** mongodb-memory-server's messages put the detail on a second line ("Download failed for url …, Details:\n…"). */
function oneLine(error: unknown): string {
  const line = errorText(error)
    .split('\n')
    .map((part) => part.trim())
    .filter(Boolean)
    .join(' ');
  return line.length > 300 ? `${line.slice(0, 297)}...` : line;
}
